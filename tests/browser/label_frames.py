"""Camera frames showing a printed label: the label PDF as the app renders it, rasterised,
laid on a camera-sized grey frame, and written as a Y4M video Chromium's fake camera plays.

Used by the camera test (tests/browser/test_offline_scanning.py) and by
bench/bench_qr_decoder.py.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from collecte.documents.label_sheets import LABELS_DIR, LabelContent, load_formats, render_labels
from tests.documents.reading import page_images

STOCK = "thermal-62x29"  # the roll the workshops print on: the smallest QR code of all stocks
WIDTH, HEIGHT = 640, 480  # a camera's usual preview size


def label_image(tag: str, public_url: str, dpi: int = 300) -> Image.Image:
    """The device's label on the thermal roll, rasterised at `dpi` in grayscale."""
    formats, _ = load_formats(LABELS_DIR)
    content = LabelContent(
        tag=tag,
        payload=f"{public_url.upper()}/D/{tag}",
        category="Ordinateur portable",
        brand_model="Dell Latitude 5490",
        donor="Banque Exemple",
    )
    return page_images(render_labels([content], formats[STOCK]), dpi=dpi)[0]


def camera_frame(label: Image.Image, fill: float = 0.8) -> Image.Image:
    """A 640×480 grey frame with the label in its middle, `fill` of the frame's width wide."""
    frame = Image.new("L", (WIDTH, HEIGHT), 150)
    width = int(WIDTH * fill)
    height = round(label.height * width / label.width)
    shown = label.resize((width, height), Image.Resampling.LANCZOS)
    frame.paste(shown, ((WIDTH - width) // 2, (HEIGHT - height) // 2))
    return frame


def write_y4m(path: Path, frame: Image.Image, frames: int = 5) -> None:
    """`frames` copies of `frame` as a 4:2:0 Y4M video (grey: neutral chroma)."""
    width, height = frame.size
    luma = frame.convert("L").tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
