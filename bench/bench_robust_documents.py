"""Fuller run of the worst-text property test: every certificate kind and label stock, many
more examples and rows than `make test` runs (issue 12: every document renders whatever
validation accepts).

Run from the project root: `python bench/bench_robust_documents.py [examples]` (default 40 per
kind). Each certificate has 50 device lines, the first with 32 media; each label sheet 30
labels. Prints the time per kind; exits 1 on the first document that fails to render.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collecte.documents.certificates.render import render_certificate
from collecte.documents.label_sheets import (
    LABELS_DIR,
    LabelContent,
    LabelFormat,
    load_formats,
    render_labels,
)
from collecte.domain.vocabulary import CertificateKind
from tests.documents import robust_documents as worst

DEVICES, LABELS = 50, 30


def run(examples: int) -> None:
    """Render `examples` worst documents of each kind and stock, timing each group."""
    fuller = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    for kind in CertificateKind:

        @fuller
        @given(doc=worst.certificate(kind.value, devices=DEVICES, media=worst.MAX_MEDIA_ROWS))
        def certificates(doc: object) -> None:
            render_certificate(doc)  # type: ignore[arg-type]

        started = time.perf_counter()
        certificates()
        print(f"{kind.value:<10} {examples} certificates in {time.perf_counter() - started:.1f} s")
    formats, _ = load_formats(LABELS_DIR)
    for stock, fmt in sorted(formats.items()):
        started = time.perf_counter()
        _sheets(fuller, fmt)()
        print(f"{stock:<16} {examples} sheets in {time.perf_counter() - started:.1f} s")


def _sheets(fuller: settings, fmt: LabelFormat) -> Callable[[], None]:
    """The property test of one label stock: sheets of worst labels render."""

    @fuller
    @given(labels=st.lists(worst.label(), min_size=LABELS, max_size=LABELS))
    def sheets(labels: list[LabelContent]) -> None:
        render_labels(labels, fmt)

    return sheets  # type: ignore[no-any-return]


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
