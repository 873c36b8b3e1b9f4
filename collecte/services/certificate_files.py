"""The PDF files of issued certificates: rendered after the issuing transaction, stored once.

Issuing (a transition, a pickup's close, a supersession) numbers the certificate and stores its
canonical content (the document's JSON) and fingerprint in the transaction that changes the
statuses, and renders nothing: no lock is held while a PDF is laid out. Then:

- once that transaction has committed, its numbers go to this process's `Renderer` (started
  with the app), which renders them in a pool of processes (or a thread) and stores each file;
- a download, a metadata or verification request that comes first renders the file at once,
  or waits for the rendering already under way in this process (`file_of`, `sha256_of`);
- at start-up the renderer renders every certificate still without its file: a crash between
  the commit and the rendering loses nothing.

Storing is conditional (`UPDATE … WHERE sha256 IS NULL`): the first file stored stays, whoever
rendered it. The file is a pure function of the stored content (`render_certificate` of the
decoded document, whose fingerprint is checked first), so every process renders the same bytes;
a file that would differ from the one stored is logged and dropped, never stored or served.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import msgspec

from collecte.db.certify_sql import Templates
from collecte.db.tables import Certificate
from collecte.db.transactions import after_commit, write_transaction
from collecte.documents.certificates.model import CertificateDocument, content_fingerprint
from collecte.documents.certificates.render import render_certificate
from collecte.domain.errors import NotFound, Unavailable
from collecte.i18n import msg

logger = logging.getLogger("collecte")
T = TypeVar("T")

# Rendering yields the processor to the requests: its processes run at a lower priority, so a
# backlog of certificates never slows a scan (the backlog drains when the scans pause).
RENDER_NICENESS = 10
RETRY_AFTER_S = 30


@dataclass(frozen=True)
class CertificateFile:
    """An issued certificate's PDF, as stored."""

    number: str
    pdf: bytes
    sha256: str


def encode_document(document: CertificateDocument) -> str:
    """The issued content as stored: what the PDF is rendered from, and a replacement made from."""
    return msgspec.json.encode(document).decode()


def decode_document(text: str) -> CertificateDocument:
    """The issued content as `encode_document` stored it."""
    return msgspec.json.decode(text, type=CertificateDocument)


async def insert_issued(
    document: CertificateDocument,
    recipient_id: int,
    issuer_id: int | None,
    issued_by: int | None,
) -> None:
    """Store a numbered document (its fingerprint filled) as an issued certificate, its file to be
    rendered once the transaction commits; call inside the transaction that numbered it, so a
    failure gives the number back."""
    await _insert(
        document,
        document.number,
        document.content_fingerprint,
        encode_document(document),
        (recipient_id, issuer_id, issued_by),
    )


async def insert_made(
    draft: CertificateDocument,
    made: Templates,
    number: str,
    recipient_id: int,
    issuer_id: int | None,
    issued_by: int | None,
) -> None:
    """`insert_issued` for a `draft` (not numbered) whose content was made ahead with
    placeholders (`Draft.templates`): the number written in, the canonical content hashed, the
    fingerprint written in."""
    canonical = made.canonical.replace(made.number_placeholder, number)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    document_json = made.document.replace(made.number_placeholder, number).replace(
        made.fingerprint_placeholder, fingerprint
    )
    await _insert(draft, number, fingerprint, document_json, (recipient_id, issuer_id, issued_by))


async def _insert(
    document: CertificateDocument,
    number: str,
    fingerprint: str,
    document_json: str,
    parties: tuple[int, int | None, int | None],
) -> None:
    """The certificate's row without its file (`pdf`, `sha256`: null until rendered), and its
    rendering asked for once the transaction commits."""
    recipient_id, issuer_id, issued_by = parties
    await Certificate.insert(
        Certificate(
            number=number,
            kind=document.kind,
            issued_at=document.issued_at,
            language=document.language,
            recipient=recipient_id,
            issuer=issuer_id,
            issued_by=issued_by,
            device_count=len(document.devices),
            content_fingerprint=fingerprint,
            document=document_json,
            replaces=document.replaces,
        )
    )
    render_after_commit([number])


class ContentMismatch(ValueError):
    """The stored content no longer hashes to the stored fingerprint: it is not rendered."""


def render_stored(document_json: str, fingerprint: str) -> bytes:
    """The PDF of a stored certificate content, after checking it still hashes to the stored
    fingerprint (the one the pages print); pure, so it runs in any process."""
    document = decode_document(document_json)
    if content_fingerprint(document) != fingerprint or document.content_fingerprint != fingerprint:
        raise ContentMismatch(f"{document.number}: the stored content differs from its fingerprint")
    return render_certificate(document)


def _lower_priority() -> None:
    """In each rendering process, as it starts."""
    # Where it is not allowed, rendering still works, only at the same priority.
    with contextlib.suppress(OSError):
        os.nice(RENDER_NICENESS)


def _ready() -> None:
    """Nothing: run once in each rendering process as the renderer starts, to start it."""


def _not_ready(number: str) -> Unavailable:
    return Unavailable(
        msg(
            "Le fichier du certificat {number} n’a pas encore pu être produit. Réessayez dans "
            "une minute ; si cela se répète, prévenez la coordination.",
            number=number,
        ),
        retry_after=RETRY_AFTER_S,
    )


class Renderer:
    """This process's renderer: a task rendering the certificates issued here (and, at start,
    those left without a file), in `processes` processes, or in a thread when 0."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.repaired: asyncio.Event = asyncio.Event()

    async def start(self, repair: bool = True) -> None:
        """Start rendering in the running loop; with `repair`, first every certificate still
        without its file."""
        _renderers[asyncio.get_running_loop()] = self
        if self.processes > 0:
            self._pool = self._new_pool()
            # Started now, not at the first certificate: a process and reportlab take a second.
            for _ in range(self.processes):
                self._pool.submit(_ready)
        workers = max(1, self.processes)
        self._tasks = [asyncio.create_task(self._work()) for _ in range(workers)]
        if repair:
            self._tasks.append(asyncio.create_task(self._repair()))
        else:
            self.repaired.set()

    async def stop(self) -> None:
        """Stop rendering; what is left is rendered on its first download or at the next start."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._pool is not None:
            # A rendering under way is not waited for (a large certificate takes seconds): its
            # process is ended, the certificate rendered again on its download or next start.
            processes = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            self._pool = None
        loop = asyncio.get_running_loop()
        if _renderers.get(loop) is self:
            del _renderers[loop]

    def submit(self, numbers: Iterable[str]) -> None:
        """Render these certificates soon (call once they are committed)."""
        for number in numbers:
            self._queue.put_nowait(number)

    @property
    def pending(self) -> int:
        """Certificates waiting for this renderer."""
        return self._queue.qsize()

    async def drained(self) -> None:
        """Return once the start-up repair is queued and every certificate submitted so far is
        rendered (or failed, which is logged)."""
        await self.repaired.wait()
        await self._queue.join()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: a child made from a clean process, never a fork of this one's threads.
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_lower_priority,
        )

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in a rendering process (a thread when there is none)."""
        if self._pool is None:
            return await anyio.to_thread.run_sync(function, *args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, function, *args)
        except BrokenProcessPool:
            # A rendering process died (killed, out of memory): a new pool for the next ones.
            logger.warning("certificate rendering pool broken, starting a new one")
            self._pool = self._new_pool()
            return await loop.run_in_executor(self._pool, function, *args)

    async def _work(self) -> None:
        while True:
            number = await self._queue.get()
            try:
                await file_of(number, stored_only=False)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("certificate %s: rendering failed", number)
            finally:
                self._queue.task_done()

    async def _repair(self) -> None:
        try:
            missing = await unrendered()
            if missing:
                logger.info("%d certificate(s) without their PDF: rendering them", len(missing))
            self.submit(missing)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("looking for certificates without their PDF failed")
        finally:
            self.repaired.set()


_renderers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Renderer] = (
    weakref.WeakKeyDictionary()
)
# The renderings under way in this process, by number: a second request waits for the first.
_under_way: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Future[CertificateFile]]
] = weakref.WeakKeyDictionary()


def current_renderer() -> Renderer | None:
    """The renderer started in this loop, if any."""
    return _renderers.get(asyncio.get_running_loop())


def render_after_commit(numbers: Sequence[str]) -> None:
    """Have the certificates `numbers`, just issued in the current write transaction, rendered
    once it commits (by this process's renderer; without one, on their first download)."""
    renderer = current_renderer()
    if renderer is not None and numbers:
        wanted = tuple(numbers)
        after_commit(lambda: renderer.submit(wanted))


async def unrendered() -> list[str]:
    """The numbers of the certificates without their PDF, oldest first."""
    rows = await (
        Certificate.select(Certificate.number)
        .where(Certificate.sha256.is_null())
        .order_by(Certificate.id)
    )
    return [row["number"] for row in rows]


async def _run(function: Callable[..., T], *args: Any) -> T:
    renderer = current_renderer()
    if renderer is not None:
        return await renderer.run(function, *args)
    return await anyio.to_thread.run_sync(function, *args)


async def _stored(number: str) -> CertificateFile | None:
    row = await (
        Certificate.select(Certificate.pdf, Certificate.sha256)
        .where(Certificate.number == number)
        .first()
    )
    if row is None:
        raise NotFound(msg("Certificat {number} introuvable.", number=number), "number")
    if row["sha256"] is None:
        return None
    return CertificateFile(number, bytes(row["pdf"]), row["sha256"])


async def store(number: str, pdf: bytes) -> CertificateFile:
    """Store `pdf` as the certificate's file unless one is stored already; the file that stays
    (the first stored wins, and a different one is reported, never served)."""
    digest = hashlib.sha256(pdf).hexdigest()
    async with write_transaction():
        stored = (
            await Certificate.update({Certificate.pdf: pdf, Certificate.sha256: digest})
            .where((Certificate.number == number) & Certificate.sha256.is_null())
            .returning(Certificate.id)
        )
    if stored:
        return CertificateFile(number, pdf, digest)
    kept = await _stored(number)
    assert kept is not None
    if kept.sha256 != digest:
        logger.error(
            "certificate %s rendered differently (%s) from the file stored (%s): kept the stored",
            number,
            digest,
            kept.sha256,
        )
    return kept


async def _render(number: str) -> CertificateFile:
    row = await (
        Certificate.select(
            Certificate.document, Certificate.content_fingerprint, Certificate.sha256
        )
        .where(Certificate.number == number)
        .first()
    )
    if row is None:
        raise NotFound(msg("Certificat {number} introuvable.", number=number), "number")
    if row["sha256"] is not None:  # another process stored it meanwhile
        kept = await _stored(number)
        assert kept is not None
        return kept
    if not row["document"]:
        logger.error("certificate %s has neither a PDF nor its content", number)
        raise _not_ready(number)
    try:
        pdf = await _run(render_stored, row["document"], row["content_fingerprint"])
    except ContentMismatch:
        logger.exception("certificate %s not rendered", number)
        raise _not_ready(number) from None
    return await store(number, pdf)


async def file_of(number: str, stored_only: bool = True) -> CertificateFile:
    """The certificate's PDF as stored; rendered (and stored) now if it is not yet, or awaited
    when this process is already rendering it. `number` is canonical.

    With `stored_only` (the default) the stored file is read first, in one statement."""
    if stored_only:
        kept = await _stored(number)
        if kept is not None:
            return kept
    loop = asyncio.get_running_loop()
    under_way = _under_way.setdefault(loop, {})
    running = under_way.get(number)
    if running is not None:
        return await asyncio.shield(running)
    future: asyncio.Future[CertificateFile] = loop.create_future()
    under_way[number] = future
    try:
        made = await _render(number)
    except BaseException as error:
        if isinstance(error, Exception):
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
        else:
            future.cancel()
        raise
    else:
        future.set_result(made)
        return made
    finally:
        under_way.pop(number, None)


async def sha256_of(numbers: Iterable[str]) -> dict[str, str]:
    """The SHA-256 of each certificate's file, rendering those without one (in turn)."""
    found = {}
    for number in numbers:
        found[number] = (await file_of(number, stored_only=False)).sha256
    return found
