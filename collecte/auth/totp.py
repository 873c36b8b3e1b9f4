"""Time-based one-time codes (RFC 6238), as authenticator apps compute them: keys, the enrolment
URI, and which 30-second step a typed code belongs to."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

ISSUER = "La Grande Collecte Numérique"
DIGITS = 6
# A phone's clock drifts, and typing takes time: the step before and the one after are accepted.
WINDOW = 1
_SPACES = re.compile(r"[\s\-]+")


def new_secret() -> str:
    """A fresh random key, base32 (160 bits, what RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The `otpauth://` address an app reads from a QR code: the programme, then the e-mail."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def normalise(code: str | None) -> str:
    """The code as typed, without the spaces or dash some apps show in the middle."""
    return _SPACES.sub("", code or "")


def well_formed(code: str) -> bool:
    """Whether a normalised code is six ASCII digits."""
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, at: datetime, after: int | None) -> int | None:
    """The step (of the window around `at`) whose code is `code` and which comes after `after`
    (the last step accepted, so no code serves twice); None when there is none."""
    code = normalise(code)
    if not well_formed(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every step compared, in constant time: the answer's timing says nothing of the code.
        if hmac.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            found = step
    return found
