"""Read PDFs back the way a person would: extract the text, render the pages, scan the QR codes."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader


@dataclass(frozen=True)
class DecodedCode:
    """A barcode found on a rendered page; the box is in PDF points from the page's lower left."""

    page: int
    text: str
    format: str
    x0: float
    y0: float
    x1: float
    y1: float


def page_texts(pdf: bytes) -> list[str]:
    """Return the extracted text of every page."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def page_count(pdf: bytes) -> int:
    """Return the number of pages."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def decode_qr_codes(pdf: bytes, dpi: int = 200) -> list[DecodedCode]:
    """Rasterise every page at `dpi` and return every QR code a real decoder finds on it."""
    document = pdfium.PdfDocument(pdf)
    found: list[DecodedCode] = []
    scale = dpi / 72
    try:
        for index in range(len(document)):
            page = document[index]
            height_pt = page.get_height()
            image = page.render(scale=scale, grayscale=True).to_pil()
            for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                points = [
                    result.position.top_left,
                    result.position.top_right,
                    result.position.bottom_left,
                    result.position.bottom_right,
                ]
                xs = [p.x / scale for p in points]
                ys = [height_pt - p.y / scale for p in points]
                found.append(
                    DecodedCode(
                        index, result.text, str(result.format), min(xs), min(ys), max(xs), max(ys)
                    )
                )
    finally:
        document.close()
    return found


def page_images(pdf: bytes, dpi: int = 100) -> list[Image.Image]:
    """Rasterise every page at `dpi` in grayscale (255 = white); pixel (0, 0) is the top left."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            for index in range(len(document))
        ]
    finally:
        document.close()


def dark_pixels_outside(
    image: Image.Image,
    allowed: list[tuple[float, float, float, float]],
    page_height: float,
    dpi: int,
    threshold: int = 160,
) -> tuple[int, int, int, int] | None:
    """Return the pixel bounding box of the dark pixels outside every allowed box, or None.

    Boxes are (x0, y0, x1, y1) in PDF points from the page's lower left; a one-pixel border
    around each is allowed too, for anti-aliasing.
    """
    scale = dpi / 72
    masked = image.copy()
    draw = ImageDraw.Draw(masked)
    for x0, y0, x1, y1 in allowed:
        draw.rectangle(
            (
                math.floor(x0 * scale) - 1,
                math.floor((page_height - y1) * scale) - 1,
                math.ceil(x1 * scale) + 1,
                math.ceil((page_height - y0) * scale) + 1,
            ),
            fill=255,
        )
    return masked.point(lambda value: 255 if value < threshold else 0).getbbox()


@dataclass(frozen=True)
class TextRun:
    """A string drawn on a page: its font, size and baseline start in PDF points."""

    page: int
    text: str
    font: str
    size: float
    x: float
    y: float


def text_runs(pdf: bytes) -> list[TextRun]:
    """Return every non-blank string shown on every page, where and how it is drawn."""
    runs: list[TextRun] = []
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            font_dict: Any,
            font_size: float,
            index: int = index,
        ) -> None:
            if not text.strip() or font_dict is None:
                return
            scale = cm[0]  # reportlab output: no rotation, uniform scale
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            font = str(font_dict.get("/BaseFont", "")).lstrip("/")
            runs.append(TextRun(index, text.strip(), font, font_size * tm[0] * scale, x, y))

        page.extract_text(visitor_text=visit)
    return runs
