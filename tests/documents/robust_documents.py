"""Documents at their worst: every text field at its longest accepted length and worst
characters, the most rows. Shared by the property tests and `bench/bench_robust_documents.py`."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import strategies as st

from collecte.documents.certificates.kinds import SPECS
from collecte.documents.certificates.model import (
    CertificateDevice,
    CertificateDocument,
    CertificateMedium,
    Party,
    ProgrammeInfo,
    with_fingerprint,
)
from collecte.documents.label_sheets import LABELS_DIR, LabelContent, load_formats
from collecte.domain.erasure import MAX_MEDIA

LINE_MAX = 200
ADDRESS_LINES = 6
# Characters that trouble a layout: wide glyphs, accents, scripts the standard fonts lack,
# right-to-left text, emoji, markup characters.
WORST = ["W", "M", "é", "Œ", "ñ", "中", "日", "ق", "ש", "😀", "👩‍💻", "<", "&", ">", '"', "ſ"]
TAGS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def one_line(min_size: int = 1) -> st.SearchStrategy[str]:
    """A one-line text as validation accepts it: up to 200 characters, long unbroken words."""
    return st.one_of(
        st.sampled_from(WORST).map(lambda c: c * LINE_MAX),
        st.lists(
            st.sampled_from([*WORST, " ", "a", "1"]), min_size=min_size, max_size=LINE_MAX
        ).map("".join),
    ).map(lambda s: s[:LINE_MAX] or "x")


def address() -> st.SearchStrategy[str]:
    """An address as validation accepts it: six lines (more, for addresses stored earlier)."""
    return st.lists(one_line(), min_size=1, max_size=ADDRESS_LINES * 40).map("\n".join)


def tags(count: int) -> list[str]:
    """`count` distinct eight-character tags."""
    return ["".join(TAGS[(i // 32**k) % 32] for k in range(7, -1, -1)) for i in range(count)]


@st.composite
def party(draw: st.DrawFn) -> Party:
    """An organisation with every field at its worst."""
    return Party(
        name=draw(one_line()),
        ridet="1234567.001",
        address=draw(address()),
        city=draw(one_line()),
        email=draw(one_line()),
        phone=draw(one_line()),
    )


@st.composite
def medium(draw: st.DrawFn) -> CertificateMedium:
    """A storage medium's record with its texts at their worst."""
    return CertificateMedium(
        serial=draw(one_line()),
        kind="ssd",
        capacity_gb=1_000_000,
        technique="overwrite",
        method_class="purge",
        tool=draw(one_line()),
        tool_version=draw(one_line()),
        started_at="2026-11-20T08:00:00+11:00",
        ended_at="2026-11-20T09:00:00+11:00",
        result=draw(st.sampled_from(["erased", "failed", "erased_with_exceptions"])),
        verification=draw(st.sampled_from(["full", "none"])),
        certified=draw(st.booleans()),
    )


@st.composite
def certificate(draw: st.DrawFn, kind: str, devices: int, media: int) -> CertificateDocument:
    """A certificate of `kind` with `devices` lines (the first with `media` media)."""
    text = one_line()
    rows = []
    for index, tag in enumerate(tags(devices)):
        rows.append(
            CertificateDevice(
                tag=tag,
                category="laptop",
                brand=draw(text),
                model=draw(text),
                serial_number=draw(text),
                declared_value_xpf=1_000_000_000,
                weight_kg=1000.0,
                grade="A",
                media=tuple(draw(medium()) for _ in range(media if index == 0 else 1)),
                destination="reuse",
                erasure_certificates=("EFF-2026-00001", "EFF-2026-00002"),
            )
        )
    number = f"{SPECS[kind].prefix}-2026-99999"
    return with_fingerprint(
        CertificateDocument(
            kind=kind,
            number=number,
            issued_at=datetime(2026, 11, 23, 3, 5, tzinfo=UTC),
            language=draw(st.sampled_from(["fr", "en"])),
            # The programme's settings at their limits (1,000 characters on 12 lines of mention).
            programme=ProgrammeInfo(
                name=draw(text),
                operator=draw(text),
                address=draw(address()),
                ridet="1 234 567.001",
                signatory_name=draw(text),
                signatory_title=draw(text),
                legal_mention=draw(
                    st.sampled_from(["", "\n".join(["W" * 83] * 12)[:1000], "é " * 500])
                ),
            ),
            recipient=draw(party()),
            donor=draw(party()),
            reconditioner=draw(party()),
            association=draw(party()),
            operator_name=draw(text),
            verified_by=draw(text),
            handover_date=date(2026, 11, 20),
            channel=draw(text),
            channel_authorization=draw(text),
            channel_address=draw(address()),
            bsd_number=draw(st.sampled_from(["W" * 60, "1" * 60, "BSD 2026/00042-A_b.c"])),
            received_by=draw(text),
            signed_by=draw(text),
            place=draw(text),
            devices=tuple(rows),
        )
    )


def label_stocks() -> list[str]:
    """Every label stock shipped in `labels/`."""
    formats, _ = load_formats(LABELS_DIR)
    return sorted(formats)


@st.composite
def label(draw: st.DrawFn) -> LabelContent:
    """A label with its texts at their worst."""
    tag = tags(1)[0]
    return LabelContent(
        tag=tag,
        payload=f"HTTP://LOCALHOST:8000/D/{tag}",
        category=draw(one_line()),
        brand_model=draw(one_line()) + " " + draw(one_line()),
        serial_number=draw(one_line()),
        donor=draw(one_line()),
    )


MAX_MEDIA_ROWS = MAX_MEDIA
