"""The outermost layer, before Litestar: sign-ins refused at once while the hashing gate is full.

During a storm of bogus sign-ins (no account needed) the hashing gate refuses nearly every one
with 503. Refused inside the app, each refusal still cost the whole stack (routing, middleware,
JSON parsing, the error handler: about 0.6 ms of the one event loop), and with 200 connections
open, 200 of them stood in line ahead of every other request at each turn of the loop: /health
took 1.3 s. Refused here, a refusal costs little more than reading its request. The answer is
the app's own, word for word: status, body in the reader's language, Retry-After and the
security headers.

uvicorn's access line for each of these refusals (thousands a second in a storm) would cost
more than the refusal itself: it is left out, and the layer logs instead one line every
`REPORT_EVERY_S` seconds while it refuses, with the count.

`collecte serve` wraps the app in this layer; the tests drive either.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from collecte.auth.passwords import HashGate
from collecte.i18n import LANGUAGES, SOURCE_LANGUAGE
from collecte.web.errors import domain_error_answer
from collecte.web.headers import add_security_headers
from collecte.web.language import preferred

REPORT_EVERY_S = 10.0
logger = logging.getLogger("collecte")

# The API's sign-in. The page's (/connexion) goes through the app: its refusal is a whole page.
SIGN_IN_PATH = "/api/auth/login"


class _WithoutRefusedSignIns(logging.Filter):
    """Drops uvicorn's access line of a sign-in refused with 503 (the layer counts them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (
            isinstance(args, tuple)
            and len(args) == 5
            and args[2] == SIGN_IN_PATH
            and args[4] == HTTP_503_SERVICE_UNAVAILABLE
        )


_ACCESS_FILTER = _WithoutRefusedSignIns()


class SignInShedding:
    """An ASGI app: the Litestar app behind it, sign-ins refused in front of it when the gate of
    password hashes is full."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.gate: HashGate = app.state.login_policy.hashes
        self.max_body_bytes: int = app.state.settings.max_body_bytes
        self._answers = {language: self._answer(language) for language in LANGUAGES}
        self._refused = 0
        # Added once per process, whatever the number of apps built (uvicorn's own logging
        # set-up keeps a logger's filters).
        access = logging.getLogger("uvicorn.access")
        if _ACCESS_FILTER not in access.filters:
            access.addFilter(_ACCESS_FILTER)

    def _answer(self, language: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The refusal in `language`, its every header included (they depend on nothing the
        request says), made once."""
        status, body, headers = domain_error_answer(self.gate.refusal(), language)
        content = encode_json(body)
        raw = MutableScopeHeaders()
        raw["Content-Type"] = "application/json"
        raw["Content-Length"] = str(len(content))
        for name, value in headers.items():
            raw[name] = value
        add_security_headers(raw, SIGN_IN_PATH, self.app.state.settings)
        assert status == HTTP_503_SERVICE_UNAVAILABLE
        return list(raw.headers), content

    @property
    def state(self) -> Any:
        """The app's state (what `collecte serve` and the tests read through either)."""
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == SIGN_IN_PATH
            and scope.get("method") == "POST"
            and self.gate.full
        ):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Read the body to its end first (it has usually arrived whole), so the connection
        # stays usable for the client's next request; past the app's body limit, no further:
        # uvicorn then closes the connection after the answer.
        more, left = True, self.max_body_bytes
        while more and left > 0:
            message = await receive()
            if message["type"] != "http.request":
                break
            more = message.get("more_body", False)
            left -= len(message.get("body", b""))
        language = SOURCE_LANGUAGE
        for name, value in scope["headers"]:
            if name == b"accept-language":
                language = preferred(value.decode("latin-1"))
        headers, content = self._answers[language]
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": HTTP_503_SERVICE_UNAVAILABLE,
            "headers": headers,
        }
        await send(start)
        body: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": content,
            "more_body": False,
        }
        await send(body)
        self._count_refusal()

    def _count_refusal(self) -> None:
        if not self._refused:
            asyncio.get_running_loop().call_later(REPORT_EVERY_S, self._report)
        self._refused += 1

    def _report(self) -> None:
        logger.warning(
            "Sign-ins refused at once, the password hashing queue being full: %d in %.0f s",
            self._refused,
            REPORT_EVERY_S,
        )
        self._refused = 0
