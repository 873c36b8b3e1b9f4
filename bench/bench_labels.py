"""Benchmark: 1,000 QR labels as one PDF, `render_labels` against the naive way, in one run.

Run from the project root: `python bench/bench_labels.py`. The naive way is what one writes first:
qrcode picks its mask and makes a PNG, which reportlab embeds with drawImage. Targets (issue 3):
at least 4× faster than the naive way, under 1 s, under 0.5 KiB per label. Always exits 0.
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collecte.documents.label_sheets import (
    LABELS_DIR,
    MM,
    PROGRAMME_NAME,
    LabelContent,
    LabelFormat,
    format_tag,
    label_box,
    load_formats,
    render_labels,
)

COUNT = 1000
FORMAT_ID = "avery-l7161"  # 42 A4 pages, as in the measurements of shared/STACK.md
EXTRA_FORMAT_IDS = ("avery-l7160", "thermal-62x29")  # shown for information
ROUNDS = 3  # best of, for both ways: this machine's timing noise is large
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CATEGORIES = ("Ordinateur portable", "Ordinateur fixe", "Écran", "Tablette", "Smartphone")
MODELS = ("Dell Latitude 5490", "HP EliteBook 840 G5", "Lenovo ThinkPad T480s", "Acer Veriton")
DONORS = ("OPT-NC", "Enercal", "BCI", "Mairie de Nouméa", "Air Calédonie")


def make_labels(count: int, seed: int = 2025) -> list[LabelContent]:
    """Return `count` realistic labels with random tags (fixed seed)."""
    rng = random.Random(seed)
    labels = []
    for _ in range(count):
        tag = "".join(rng.choice(CROCKFORD) for _ in range(8))
        labels.append(
            LabelContent(
                tag=tag,
                payload=f"HTTP://LOCALHOST:8000/D/{tag}",
                category=rng.choice(CATEGORIES),
                brand_model=rng.choice(MODELS),
                donor=rng.choice(DONORS),
            )
        )
    return labels


def render_naive(labels: Sequence[LabelContent], fmt: LabelFormat) -> bytes:
    """Render the same labels the naive way: qrcode → PNG → drawImage, texts at fixed sizes."""
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=(fmt.page_width_mm * MM, fmt.page_height_mm * MM), pageCompression=1
    )
    for index, label in enumerate(labels):
        position = index % fmt.per_page
        if index and position == 0:
            canvas.showPage()
        x, y, width, height = label_box(fmt, position)
        # One pixel per module: the naive way at its fastest and smallest (box_size=10, the
        # default, takes twice the time and eight times the size), so the ratio is not flattered.
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
        code.add_data(label.payload)
        code.make(fit=True)
        png = io.BytesIO()
        code.make_image().save(png, format="PNG")
        png.seek(0)
        side = min(height, width / 2)
        canvas.drawImage(ImageReader(png), x, y + (height - side) / 2, side, side)
        text_x = x + side
        canvas.setFont("Courier-Bold", 12)
        canvas.drawString(text_x, y + height - 16, format_tag(label.tag))
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(text_x, y + height - 32, label.category or "Étiquette vierge")
        canvas.setFont("Helvetica", 7)
        canvas.drawString(text_x, y + height - 46, label.brand_model or "")
        canvas.drawString(text_x, y + height - 58, label.donor or "")
        canvas.setFont("Helvetica", 5)
        canvas.drawString(text_x, y + 6, PROGRAMME_NAME)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def timed(render: Callable[[], bytes], rounds: int) -> tuple[float, bytes]:
    """Return the best time of `rounds` runs and the PDF of the last one."""
    best = float("inf")
    pdf = b""
    for _ in range(rounds):
        start = time.perf_counter()
        pdf = render()
        best = min(best, time.perf_counter() - start)
    return best, pdf


def verdict(ok: bool) -> str:
    """Return a clear mark for a target."""
    return "MET" if ok else "NOT MET"


def main() -> int:
    """Run the benchmark and print the figures; the exit code is always 0."""
    formats, errors = load_formats(LABELS_DIR)
    for error in errors:
        print(f"warning: {error}")
    if FORMAT_ID not in formats:
        print(f"format {FORMAT_ID!r} not found in {LABELS_DIR}: nothing measured")
        return 0
    fmt = formats[FORMAT_ID]
    labels = make_labels(COUNT)
    render_labels(labels[:30], fmt)  # warm the per-version tables, as a running server would

    fast_time, fast_pdf = timed(lambda: render_labels(labels, fmt), ROUNDS)
    naive_time, naive_pdf = timed(lambda: render_naive(labels, fmt), ROUNDS)
    ratio = naive_time / fast_time
    fast_kib = len(fast_pdf) / 1024
    naive_kib = len(naive_pdf) / 1024
    per_label = fast_kib / COUNT

    print(f"{COUNT} labels on {fmt.name} ({-(-COUNT // fmt.per_page)} pages)")
    print(f"  render_labels : {fast_time:6.3f} s  {fast_kib:7.1f} KiB  (best of {ROUNDS})")
    print(f"  naive (PNG)   : {naive_time:6.3f} s  {naive_kib:7.1f} KiB  (best of {ROUNDS})")
    print(f"  speed ratio   : {ratio:.1f}× faster")
    print(f"  size          : {per_label:.3f} KiB per label ({naive_kib / COUNT:.3f} naive)")
    print("targets")
    print(f"  ≥ 4× faster than naive : {verdict(ratio >= 4)} ({ratio:.1f}×)")
    print(f"  under 1 s              : {verdict(fast_time < 1)} ({fast_time:.3f} s)")
    print(f"  under 0.5 KiB / label  : {verdict(per_label < 0.5)} ({per_label:.3f} KiB)")

    print("for information, render_labels on other stocks:")
    for extra_id in EXTRA_FORMAT_IDS:
        if extra_id in formats:
            extra = formats[extra_id]
            extra_time, extra_pdf = timed(partial(render_labels, labels, extra), ROUNDS)
            pages = -(-COUNT // extra.per_page)
            print(
                f"  {extra.name} ({pages} pages): {extra_time:.3f} s, "
                f"{len(extra_pdf) / 1024 / COUNT:.3f} KiB per label"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
