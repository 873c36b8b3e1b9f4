"""A signature given on a screen: the signer's name, and the PNG their finger drew; pure.

The image arrives as a data URL (`data:image/png;base64,…`) written by the page's canvas. It is
checked strictly before anything is stored or printed: the exact prefix, strict base64, at most
`IMAGE_MAX_BYTES` decoded, the PNG signature and a first IHDR chunk whose dimensions a page can
hold, then a real PNG reader draws it (a certificate must be able to print it). A refusal names
`signature.image` (or `signature.name`). Used by a pickup's close and by `confirm_receipt`.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from collecte.domain.errors import Invalid
from collecte.domain.fields import field_label
from collecte.domain.text import single_line
from collecte.i18n import msg

DATA_URL_PREFIX = "data:image/png;base64,"
IMAGE_MAX_BYTES = 100 * 1024
MAX_SIDE = 4000  # pixels: a phone's canvas at three device pixels per point stays well within
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE_FIELD = "signature.image"
NAME_FIELD = "signature.name"


@dataclass(frozen=True)
class Signature:
    """Who signed, and what they drew (PNG bytes), if anything."""

    name: str
    image: bytes | None = None


def _image_error(sentence: Any) -> Invalid:
    return Invalid(sentence, IMAGE_FIELD)


def png_from_data_url(value: object) -> bytes:
    """The PNG bytes of a `data:image/png;base64,…` URL, or Invalid naming `signature.image`."""
    if not isinstance(value, str) or not value.startswith(DATA_URL_PREFIX):
        raise _image_error(
            msg(
                "Le champ « {field} » doit être une image PNG en data URL "
                "(data:image/png;base64,…).",
                field=field_label(IMAGE_FIELD),
            )
        )
    encoded = value[len(DATA_URL_PREFIX) :]
    # Checked before decoding, so a huge body is not decoded to be refused.
    if len(encoded) > (IMAGE_MAX_BYTES + 2) // 3 * 4:
        raise _image_error(
            msg("Le champ « {field} » dépasse 100 Ko.", field=field_label(IMAGE_FIELD))
        )
    try:
        image = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _image_error(
            msg("Le champ « {field} » n’est pas du base64 valide.", field=field_label(IMAGE_FIELD))
        ) from None
    if len(image) > IMAGE_MAX_BYTES:
        raise _image_error(
            msg("Le champ « {field} » dépasse 100 Ko.", field=field_label(IMAGE_FIELD))
        )
    if not image.startswith(PNG_MAGIC) or image[12:16] != b"IHDR" or len(image) < 33:
        raise _image_error(
            msg("Le champ « {field} » n’est pas une image PNG.", field=field_label(IMAGE_FIELD))
        )
    width, height = struct.unpack(">II", image[16:24])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise _image_error(
            msg(
                "Le champ « {field} » mesure {width} × {height} pixels ; au plus {max} de côté.",
                field=field_label(IMAGE_FIELD),
                width=width,
                height=height,
                max=MAX_SIDE,
            )
        )
    _readable(image)
    return image


def _readable(png: bytes) -> None:
    """Refuse an image that passes the checks but that no PNG reader can draw."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise ValueError(image.format)
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _image_error(
            msg(
                "Le champ « {field} » n’est pas une image PNG lisible.",
                field=field_label(IMAGE_FIELD),
            )
        ) from None


def parse_signature(value: object) -> Signature:
    """A signature `{"name", "image"?}` (a pickup's close, a receipt), checked; Invalid
    otherwise."""
    if not isinstance(value, Mapping):
        raise Invalid(
            msg("Le champ « {field} » doit donner « {name} » et, au besoin, « {image} ».",
                field=field_label("signature"), name=field_label(NAME_FIELD),
                image=field_label(IMAGE_FIELD)),
            "signature",
        )  # fmt: skip
    name = single_line(NAME_FIELD, value.get("name"))
    if name is None:
        raise Invalid(
            msg("Le champ « {field} » est obligatoire : le nom de la personne qui signe.",
                field=field_label(NAME_FIELD)),
            NAME_FIELD,
        )  # fmt: skip
    image = value.get("image")
    if image is None or image == "":
        return Signature(name)
    return Signature(name, png_from_data_url(image))
