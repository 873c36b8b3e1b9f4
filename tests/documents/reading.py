"""Read PDFs back the way a person would: extract the text, render the pages, scan the QR codes."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
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
                points = [result.position.top_left, result.position.top_right,
                          result.position.bottom_left, result.position.bottom_right]
                xs = [p.x / scale for p in points]
                ys = [height_pt - p.y / scale for p in points]
                found.append(DecodedCode(index, result.text, str(result.format),
                                         min(xs), min(ys), max(xs), max(ys)))
    finally:
        document.close()
    return found
