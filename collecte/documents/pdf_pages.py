"""A small PDF writer for pages of one size drawn with raw operators and the standard fonts; pure.

The label PDFs are mostly per-page overhead when each label is a page of its own (the thermal
roll): reportlab gives every page its own resource dictionary, procedure set and transition, and
wraps every stream in ASCII85 over Flate, about 0.7 KiB a page before the label itself. Here what
the pages share (their size and fonts) is written once on the page tree, which every page
inherits, and a page is a three-entry dictionary and one deflated stream. The same pages always
give the same bytes: no date, no random identifier.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

__all__ = ["PdfPages", "number", "pdf_string"]

_ESCAPES = str.maketrans({"\\": "\\\\", "(": "\\(", ")": "\\)", "\r": "\\r"})


def number(value: float) -> str:
    """Return a coordinate as PDF writes it: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pdf_string(text: str) -> str:
    """Return `text` (Windows-1252 characters) as a PDF literal string, escaped."""
    return f"({text.translate(_ESCAPES)})"


def _info_string(text: str) -> bytes:
    """Return a document-information text as UTF-16 with its byte order mark, in hexadecimal."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


class PdfPages:
    """Pages of one size, sharing the standard fonts they name and the forms they define, written
    out as one PDF."""

    def __init__(self, width: float, height: float, fonts: Sequence[str]) -> None:
        self._box = f"[0 0 {number(width)} {number(height)}]"
        self._fonts = {name: f"/F{index}" for index, name in enumerate(fonts, start=1)}
        self._forms: list[bytes] = []
        self._contents: list[bytes] = []

    def font(self, name: str) -> str:
        """Return the resource name (`/F1`) under which the pages use the standard font `name`."""
        return self._fonts[name]

    def define_form(self, content: bytes) -> str:
        """Return the resource name (`/X1`) of a form drawn by `content` over the page's box,
        which a page draws with `/X1 Do`: what every label repeats is written once."""
        self._forms.append(zlib.compress(content, 9))
        return f"/X{len(self._forms)}"

    def add_page(self, content: bytes) -> None:
        """Add a page drawn by `content`: PDF operators, text in Windows-1252."""
        self._contents.append(zlib.compress(content, 9))

    def finish(self, title: str, author: str, creator: str) -> bytes:
        """Return the PDF of the pages added so far (one empty page when none was)."""
        contents = self._contents or [zlib.compress(b"", 9)]
        # 1 catalog, 2 page tree, 3 information, 4 resources, then fonts, forms and pages
        first_font = 5
        first_form = first_font + len(self._fonts)
        first_page = first_form + len(self._forms)
        kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(contents)))
        fonts = "".join(
            f"{resource} {first_font + index} 0 R"
            for index, resource in enumerate(self._fonts.values())
        )
        forms = "".join(
            f"/X{index + 1} {first_form + index} 0 R" for index in range(len(self._forms))
        )
        objects: list[bytes] = [
            b"<</Type/Catalog/Pages 2 0 R>>",
            (
                f"<</Type/Pages/Count {len(contents)}/MediaBox{self._box}/Resources 4 0 R"
                f"/Kids[{kids}]>>"
            ).encode("ascii"),
            b"<</Title"
            + _info_string(title)
            + b"/Author"
            + _info_string(author)
            + b"/Creator"
            + _info_string(creator)
            + b">>",
            f"<</Font<<{fonts}>>/XObject<<{forms}>>>>".encode("ascii"),
        ]
        objects += [
            f"<</Type/Font/Subtype/Type1/BaseFont/{name}/Encoding/WinAnsiEncoding>>".encode("ascii")
            for name in self._fonts
        ]
        objects += [
            f"<</Type/XObject/Subtype/Form/BBox{self._box}/Resources 4 0 R"
            f"/Length {len(stream)}/Filter/FlateDecode>>stream\n".encode("ascii")
            + stream
            + b"\nendstream"
            for stream in self._forms
        ]
        for index, stream in enumerate(contents):
            page = first_page + 2 * index
            objects.append(f"<</Type/Page/Parent 2 0 R/Contents {page + 1} 0 R>>".encode("ascii"))
            objects.append(
                f"<</Length {len(stream)}/Filter/FlateDecode>>stream\n".encode("ascii")
                + stream
                + b"\nendstream"
            )
        return _serialise(objects)


def _serialise(objects: list[bytes]) -> bytes:
    """Return a PDF file of `objects` (numbered from 1, the first the catalog, the third the
    document information), with its cross-reference table."""
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    position = len(out[0])
    for index, body in enumerate(objects, start=1):
        chunk = b"%d 0 obj\n%s\nendobj\n" % (index, body)
        offsets.append(position)
        out.append(chunk)
        position += len(chunk)
    out.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.append(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.append(
        b"trailer\n<</Size %d/Root 1 0 R/Info 3 0 R>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, position)
    )
    return b"".join(out)
