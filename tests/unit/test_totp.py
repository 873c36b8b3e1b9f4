"""Which step a typed code belongs to: the window's both edges, the last accepted step, the
shapes apps show codes in; and the QR code of the enrolment drawn as SVG."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from collecte.auth import totp
from collecte.documents.qr import encode
from collecte.documents.qr_svg import qr_svg

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = datetime(2026, 12, 2, 4, 0, 15, tzinfo=UTC)
STEP = pyotp.TOTP(SECRET).timecode(AT)


def code_at(offset: int) -> str:
    return pyotp.TOTP(SECRET).at(AT + timedelta(seconds=30 * offset))


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_the_window_is_one_step_either_side(offset: int, accepted: bool) -> None:
    found = totp.matching_step(SECRET, code_at(offset), AT, None)

    assert found == (STEP + offset if accepted else None)


def test_a_step_already_accepted_or_earlier_is_refused() -> None:
    assert totp.matching_step(SECRET, code_at(0), AT, STEP - 1) == STEP
    assert totp.matching_step(SECRET, code_at(0), AT, STEP) is None
    assert totp.matching_step(SECRET, code_at(-1), AT, STEP) is None
    assert totp.matching_step(SECRET, code_at(1), AT, STEP) == STEP + 1


@pytest.mark.parametrize("shape", ["{a}{b}", " {a} {b} ", "{a}-{b}"])
def test_spaces_and_a_dash_are_forgiven(shape: str) -> None:
    code = code_at(0)

    assert totp.matching_step(SECRET, shape.format(a=code[:3], b=code[3:]), AT, None) == STEP


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "١٢٣٤٥٦", "abcdef"])
def test_other_shapes_are_refused(typed: str) -> None:
    assert totp.matching_step(SECRET, typed, AT, None) is None


def test_the_uri_names_the_programme_and_the_account() -> None:
    uri = totp.provisioning_uri(SECRET, "coord@opennc.nc")

    assert uri.startswith(
        "otpauth://totp/La%20Grande%20Collecte%20Num%C3%A9rique:coord%40opennc.nc?"
    )
    assert f"secret={SECRET}" in uri and "issuer=La%20Grande%20Collecte%20Num%C3%A9rique" in uri


def test_new_keys_are_random_base32_of_160_bits() -> None:
    keys = {totp.new_secret() for _ in range(20)}

    assert len(keys) == 20
    assert all(re.fullmatch(r"[A-Z2-7]{32}", key) for key in keys)


def test_the_svg_draws_exactly_the_encoder_s_modules() -> None:
    data = totp.provisioning_uri(SECRET, "coord@opennc.nc")
    rows = encode(data).rows()

    svg = qr_svg(data, "Clé <de> test")

    side = len(rows) + 8
    assert f'viewBox="0 0 {side} {side}"' in svg and "<title>Clé &lt;de&gt; test</title>" in svg
    drawn = [[False] * len(rows) for _ in rows]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for column in range(int(x), int(x) + int(width)):
            drawn[int(y) - 4][column - 4] = True
    assert drawn == rows
