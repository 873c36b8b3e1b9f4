"""Benchmark: 1,000 QR labels as one PDF, `render_labels` beside the naive ways, in one run.

Run from the project root: `python bench/bench_labels.py`. Two stocks:

- the thermal roll (62 × 29 mm, one label a page, 1,000 pages), where every page's own overhead
  counts. Targets (issue 18): under 1 s and under 0.5 KiB per label.
- an A4 sheet of 24 labels (Avery L7161, 42 pages). Targets (issue 3): at least 4× faster than
  the naive way, under 1 s, under 0.5 KiB per label.

The baselines, on the same labels and stock: the naive way (qrcode picks its mask and makes a
PNG, which reportlab embeds with drawImage) and a reportlab canvas drawing the same QR codes as
rectangles (`qr.draw_qr`, as `render_labels` did before its own PDF writer). Times are the best
of three runs, wall clock and CPU. Always exits 0.
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from collecte.documents.qr import draw_qr

COUNT = 1000
ROLL_ID = "thermal-62x29"  # one label a page
SHEET_ID = "avery-l7161"  # 21 labels an A4 page, as in the measurements of issue 3
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


def render_naive(labels: Sequence[LabelContent], fmt: LabelFormat, vector: bool = False) -> bytes:
    """Render the same labels the naive way: qrcode → PNG → drawImage, texts at fixed sizes;
    with `vector`, the fast encoder's rectangles on the same reportlab canvas instead."""
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer, pagesize=(fmt.page_width_mm * MM, fmt.page_height_mm * MM), pageCompression=1
    )
    for index, label in enumerate(labels):
        position = index % fmt.per_page
        if index and position == 0:
            canvas.showPage()
        x, y, width, height = label_box(fmt, position)
        side = min(height, width / 2)
        if vector:
            draw_qr(canvas, label.payload, x, y + (height - side) / 2, side)
        else:
            # One pixel per module: the naive way at its fastest and smallest (box_size=10, the
            # default, takes twice the time and eight times the size), so the ratio is not
            # flattered.
            code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
            code.add_data(label.payload)
            code.make(fit=True)
            png = io.BytesIO()
            code.make_image().save(png, format="PNG")
            png.seek(0)
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


@dataclass(frozen=True)
class Run:
    """The best times of a few runs of one way, and its PDF."""

    wall: float
    cpu: float
    pdf: bytes

    def kib_per_label(self) -> float:
        """The PDF's size per label."""
        return len(self.pdf) / 1024 / COUNT


def timed(render: Callable[[], bytes], rounds: int = ROUNDS) -> Run:
    """Return the best wall and CPU times of `rounds` runs and the PDF of the last one."""
    wall = cpu = float("inf")
    pdf = b""
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return Run(wall, cpu, pdf)


def verdict(ok: bool) -> str:
    """Return a clear mark for a target."""
    return "PASS" if ok else "FAIL"


def stock(fmt: LabelFormat, labels: Sequence[LabelContent], speedup_target: bool) -> None:
    """Time `render_labels` on one stock beside the naive ways, and print the targets."""
    ours = timed(lambda: render_labels(labels, fmt))
    naive = timed(lambda: render_naive(labels, fmt))
    vector = timed(lambda: render_naive(labels, fmt, vector=True))
    pages = -(-COUNT // fmt.per_page)
    print(f"\n{COUNT} labels on {fmt.name} ({pages} pages), best of {ROUNDS}")
    print(f"  {'':<34} {'wall':>8} {'CPU':>8} {'KiB':>8} {'KiB/label':>10}")
    for name, run in (
        ("render_labels", ours),
        ("naive: qrcode PNG + drawImage", naive),
        ("reportlab canvas, vector QR", vector),
    ):
        print(
            f"  {name:<34} {run.wall:6.3f} s {run.cpu:6.3f} s {len(run.pdf) / 1024:8.1f}"
            f" {run.kib_per_label():10.3f}"
        )
    ratio = naive.wall / ours.wall
    print(
        f"  render_labels is {ratio:.1f}x faster than the naive way,"
        f" {naive.kib_per_label() / ours.kib_per_label():.1f}x smaller"
    )
    if speedup_target:
        print(f"  target >= 4x faster than the naive way : {verdict(ratio >= 4)} ({ratio:.1f}x)")
    print(
        f"  target under 1 s                       : {verdict(ours.wall < 1)} ({ours.wall:.3f} s)"
    )
    print(
        f"  target under 0.5 KiB per label         : {verdict(ours.kib_per_label() < 0.5)}"
        f" ({ours.kib_per_label():.3f} KiB)"
    )


def main() -> int:
    """Run the benchmark and print the figures; the exit code is always 0."""
    formats, errors = load_formats(LABELS_DIR)
    for error in errors:
        print(f"warning: {error}")
    missing = [name for name in (ROLL_ID, SHEET_ID) if name not in formats]
    if missing:
        print(f"stocks {missing} not found in {LABELS_DIR}: nothing measured")
        return 0
    labels = make_labels(COUNT)
    render_labels(labels[:30], formats[SHEET_ID])  # warm the per-version tables, as a server would
    stock(formats[ROLL_ID], labels, speedup_target=False)
    stock(formats[SHEET_ID], labels, speedup_target=True)
    print("\nfor information, render_labels on the other stocks:")
    for extra_id in sorted(set(formats) - {ROLL_ID, SHEET_ID}):
        extra = timed(partial(render_labels, labels, formats[extra_id]))
        print(
            f"  {formats[extra_id].name} ({-(-COUNT // formats[extra_id].per_page)} pages):"
            f" {extra.wall:.3f} s, {extra.kib_per_label():.3f} KiB per label"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
