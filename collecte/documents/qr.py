"""QR codes encoded quickly, drawn as vector shapes or as a one-bit image mask.

Filled rectangles (one per run of dark modules in a row) keep the code crisp at any print size
(`pdf_operators`, `draw_qr`: the certificates). An image mask of one sample a module, never
smoothed, is just as crisp and a third of the size (`pdf_image_mask`: the labels, where one label
a page makes the code most of the file). A bitmap at the printer's resolution, or smoothed, would
blur on a thermal printer and weigh more.

The `qrcode` package is exact but spends about 3 ms per symbol choosing its mask in pure Python,
which made a sheet of 1,000 labels take seconds. This module encodes the symbol itself (reusing
qrcode's capacity and block tables) and scores the eight masks on whole symbols packed into one
integer, so each penalty rule of ISO/IEC 18004 is a handful of big-integer operations. The tests
check every matrix against qrcode's for the same mask and decode the printed codes with zxing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from qrcode import util as qr_util
from qrcode.base import rs_blocks
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "ERROR_CORRECT_H",
    "ERROR_CORRECT_L",
    "ERROR_CORRECT_M",
    "ERROR_CORRECT_Q",
    "QUIET_ZONE_MODULES",
    "QrSymbol",
    "draw_qr",
    "encode",
    "pdf_image_mask",
    "pdf_operators",
    "penalty_score",
    "qr_matrix",
]

QUIET_ZONE_MODULES = 4  # ISO/IEC 18004 asks for four light modules around the symbol
PAD_ROWS = 4  # light rows kept above and below a packed symbol: the quiet zone seen by rule 3

_MODE_NUMBER, _MODE_ALPHANUMERIC, _MODE_BYTE = 1, 2, 4
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALPHANUMERIC_VALUE = {char: index for index, char in enumerate(_ALPHANUMERIC)}
_RE_NUMERIC = re.compile(r"[0-9]+\Z")
_RE_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]*\Z")
_RE_DARK_RUN = re.compile("1+")

_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)


@dataclass(frozen=True)
class QrSymbol:
    """An encoded QR symbol; bit `(row + PAD_ROWS) * stride + col` of `packed` is 1 when dark."""

    version: int
    error_correction: int
    mask: int
    size: int
    stride: int
    packed: int

    def rows(self) -> list[list[bool]]:
        """Return the modules row by row, without quiet zone (True = dark)."""
        bits = _bit_string(self)
        return [
            [bit == "1" for bit in bits[row * self.stride : row * self.stride + self.size]]
            for row in range(self.size)
        ]


@dataclass(frozen=True)
class _Layout:
    """What depends only on the version: module positions, masks and the penalty masks."""

    size: int
    stride: int
    data_bits: int  # codeword bits the version carries, remainder bits excluded
    gather: itemgetter  # picks, from the codeword bit string, the packed symbol's bits in order
    function_dark: int
    masks: tuple[int, ...]
    format_bits: dict[tuple[int, int], int]
    full: int
    row_pairs: int
    column_pairs: int


def encode(data: str, error_correction: int = ERROR_CORRECT_M, mask: int | None = None) -> QrSymbol:
    """Encode `data` in its smallest version, with the ISO/IEC 18004 best mask unless given."""
    if error_correction not in (ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H):
        raise ValueError(f"unknown error correction level {error_correction!r}")
    if mask is not None and mask not in range(8):
        raise ValueError(f"mask must be 0 to 7, got {mask!r}")
    version, codewords = _codewords(data, error_correction)
    layout = _layout(version)
    stream = format(int.from_bytes(codewords, "big"), f"0{layout.data_bits}b") + "0"
    data_packed = int("".join(layout.gather(stream)), 2) << (PAD_ROWS * layout.stride)
    base = data_packed | layout.function_dark
    candidates = range(8) if mask is None else (mask,)
    best_score, best_mask, best_packed = -1, 0, 0
    for candidate in candidates:
        packed = (base ^ layout.masks[candidate]) | layout.format_bits[
            (error_correction, candidate)
        ]
        score = _penalty(packed, layout) if mask is None else 0
        if best_score < 0 or score < best_score:
            best_score, best_mask, best_packed = score, candidate, packed
    return QrSymbol(version, error_correction, best_mask, layout.size, layout.stride, best_packed)


def qr_matrix(data: str, error_correction: int = ERROR_CORRECT_M) -> list[list[bool]]:
    """Return the QR modules for `data`, without quiet zone (True = dark)."""
    return encode(data, error_correction).rows()


def penalty_score(matrix: list[list[bool]]) -> int:
    """Return the ISO/IEC 18004 mask penalty (rules 1 to 4) of a square module matrix."""
    size = len(matrix)
    layout = _penalty_masks(size)
    stride = size + QUIET_ZONE_MODULES
    packed = 0
    for row_index, row in enumerate(matrix):
        value = int("".join("1" if dark else "0" for dark in reversed(row)), 2)
        packed |= value << ((row_index + PAD_ROWS) * stride)
    return _penalty(packed, layout)


def pdf_operators(symbol: QrSymbol, x: float, y: float, size: float) -> str:
    """Return PDF operators filling the symbol in the square (x, y, size), quiet zone included.

    Coordinates are whole modules under one `cm` transform, so each rectangle is a few digits.
    One rectangle per row run: merging runs down the rows makes fewer rectangles but, measured,
    a larger compressed stream, since "… 1 re" rows with counting row numbers deflate very well.
    """
    module = size / (symbol.size + 2 * QUIET_ZONE_MODULES)
    left = x + QUIET_ZONE_MODULES * module
    top = y + size - QUIET_ZONE_MODULES * module
    parts = [f"q 0 g {module:.5f} 0 0 {-module:.5f} {left:.3f} {top:.3f} cm\n"]
    bits, stride, width = _bit_string(symbol), symbol.stride, symbol.size
    for row in range(width):
        start, tail = row * stride, f" {row} "
        runs = map(re.Match.span, _RE_DARK_RUN.finditer(bits, start, start + width))
        parts.extend([f"{first - start}{tail}{end - first} 1 re\n" for first, end in runs])
    parts.append("f Q\n")
    return "".join(parts)


_LIGHT_AS_ONE = str.maketrans("01", "10")


def pdf_image_mask(symbol: QrSymbol, x: float, y: float, size: float) -> bytes:
    """Return PDF operators painting the symbol in the square (x, y, size), quiet zone included,
    as a one-bit image mask: one sample a module, dark modules painted in the fill colour.

    About 170 bytes deflated for a device URL, against 500 for the rectangles of
    `pdf_operators`: what keeps a one-label page small. An image mask is never smoothed
    (/Interpolate is false by default), so a printer or a screen fills each module's square as
    it would a rectangle. The samples are raw bytes, their length given by /W, /H and /BPC.
    """
    module = size / (symbol.size + 2 * QUIET_ZONE_MODULES)
    side = symbol.size * module
    left, bottom = x + QUIET_ZONE_MODULES * module, y + QUIET_ZONE_MODULES * module
    bits, stride, width = _bit_string(symbol), symbol.stride, symbol.size
    pad = "1" * (-width % 8)
    # A 0 sample paints, so dark modules are 0; image rows run from the top down, like ours.
    rows = "".join(
        bits[row * stride : row * stride + width].translate(_LIGHT_AS_ONE) + pad
        for row in range(width)
    )
    data = int(rows, 2).to_bytes(len(rows) // 8, "big")
    head = f"q {side:.2f} 0 0 {side:.2f} {left:.2f} {bottom:.2f} cm "
    head += f"BI /W {width} /H {width} /IM true /BPC 1 ID "
    return head.encode("ascii") + data + b" EI Q\n"


def draw_qr(
    canvas: Canvas,
    data: str,
    x: float,
    y: float,
    size: float,
    error_correction: int = ERROR_CORRECT_M,
) -> None:
    """Draw the QR code for `data` in the square of side `size` whose lower-left corner is (x, y).

    The square includes the quiet zone, so nothing else should be drawn inside it.
    """
    # The operators are wrapped in q … Q, so reportlab's own idea of the graphics state stays true.
    canvas.addLiteral(pdf_operators(encode(data, error_correction), x, y, size))


def _bit_string(symbol: QrSymbol) -> str:
    """Return the symbol's bits as characters, character i being packed bit i (padding removed)."""
    length = symbol.size * symbol.stride
    body = symbol.packed >> (PAD_ROWS * symbol.stride)
    return format(body, f"0{length}b")[::-1]


def _penalty(x: int, layout: _Layout | _PenaltyMasks) -> int:
    """Return the mask penalty of a packed symbol: rules 1 to 4 of ISO/IEC 18004 (2015), 7.8.3."""
    stride = layout.stride
    light = layout.full ^ x
    # Rule 1: runs of five or more same-coloured modules, 3 + (length - 5) each. A run of length L
    # holds L - 4 windows of five, and each run has one first window: (L - 4) + 2 = L - 2.
    same_right = ~(x ^ (x >> 1)) & layout.row_pairs
    window = same_right & (same_right >> 1) & (same_right >> 2) & (same_right >> 3)
    score = window.bit_count() + 2 * (window & ~(window << 1)).bit_count()
    same_below = ~(x ^ (x >> stride)) & layout.column_pairs
    window = (
        same_below
        & (same_below >> stride)
        & (same_below >> 2 * stride)
        & (same_below >> 3 * stride)
    )
    score += window.bit_count() + 2 * (window & ~(window << stride)).bit_count()
    # Rule 2: 2 x 2 blocks of one colour, 3 each.
    score += 3 * (same_right & (same_right >> stride) & same_below).bit_count()
    # Rule 3: 1:1:3:1:1 finder-like patterns with four light modules before or after, 40 each.
    # Outside the symbol counts as light (the quiet zone), as in most encoders.
    for step in (1, stride):
        core = (
            x
            & (light >> step)
            & (x >> 2 * step)
            & (x >> 3 * step)
            & (x >> 4 * step)
            & (light >> 5 * step)
            & (x >> 6 * step)
        )
        quiet = light & (light >> step) & (light >> 2 * step) & (light >> 3 * step)
        score += 40 * (core & ((quiet << 4 * step) | (quiet >> 7 * step))).bit_count()
    # Rule 4: 10 per full 5 % step away from half dark.
    area = layout.size * layout.size
    score += 10 * (abs(x.bit_count() * 20 - area * 10) // area)
    return score


def _codewords(data: str, error_correction: int) -> tuple[int, bytes]:
    """Return the smallest version holding `data` and its interleaved data and error codewords."""
    if _RE_NUMERIC.match(data):
        mode, chars, payload = _MODE_NUMBER, len(data), _numeric_bits(data)
    elif _RE_ALPHANUMERIC.match(data):
        mode, chars, payload = _MODE_ALPHANUMERIC, len(data), _alphanumeric_bits(data)
    else:
        raw = data.encode("utf-8")
        mode, chars = _MODE_BYTE, len(raw)
        payload = (int.from_bytes(raw, "big") if raw else 0, 8 * len(raw))
    limits = qr_util.BIT_LIMIT_TABLE[error_correction]
    for version in range(1, 41):
        count_bits = qr_util.mode_sizes_for_version(version)[mode]
        needed = 4 + count_bits + payload[1]
        if needed <= limits[version] and chars < 1 << count_bits:
            break
    else:
        raise DataOverflowError(f"{len(data)} characters do not fit in a QR code")
    capacity = limits[version]
    value = (((mode << count_bits) | chars) << payload[1]) | payload[0]
    length = needed
    terminator = min(4, capacity - length)
    value, length = value << terminator, length + terminator
    value, length = value << (-length % 8), length + (-length % 8)
    pad_bytes = (capacity - length) // 8
    padded = value.to_bytes(length // 8, "big") + (b"\xec\x11" * pad_bytes)[:pad_bytes]
    return version, _interleave(padded, version, error_correction)


def _numeric_bits(data: str) -> tuple[int, int]:
    """Return the numeric-mode bits of `data` and their count."""
    value = length = 0
    for index in range(0, len(data), 3):
        group = data[index : index + 3]
        width = 3 * len(group) + 1
        value, length = (value << width) | int(group), length + width
    return value, length


def _alphanumeric_bits(data: str) -> tuple[int, int]:
    """Return the alphanumeric-mode bits of `data` and their count."""
    value = length = 0
    codes = [_ALPHANUMERIC_VALUE[char] for char in data]
    for index in range(0, len(codes) - 1, 2):
        value, length = (value << 11) | (codes[index] * 45 + codes[index + 1]), length + 11
    if len(codes) % 2:
        value, length = (value << 6) | codes[-1], length + 6
    return value, length


def _interleave(data: bytes, version: int, error_correction: int) -> bytes:
    """Split the data codewords into blocks, add Reed-Solomon codewords and interleave them."""
    blocks = rs_blocks(version, error_correction)
    if len(blocks) == 1:
        return data + _reed_solomon(data, blocks[0].total_count - blocks[0].data_count)
    data_blocks: list[bytes] = []
    error_blocks: list[bytes] = []
    offset = 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        error_blocks.append(_reed_solomon(chunk, block.total_count - block.data_count))
    out = bytearray()
    for group in (data_blocks, error_blocks):
        for index in range(max(len(block) for block in group)):
            out.extend(block[index] for block in group if index < len(block))
    return bytes(out)


def _reed_solomon(data: bytes, count: int) -> bytes:
    """Return the `count` error correction codewords of one block (polynomial remainder)."""
    table = _generator_table(count)
    shift = 8 * (count - 1)
    keep = (1 << (8 * count)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & keep) ^ table[(remainder >> shift) ^ byte]
    return remainder.to_bytes(count, "big")


@cache
def _gf_tables() -> tuple[list[int], list[int]]:
    """Return exp and log tables of GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1."""
    exp = [0] * 512
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for power in range(255, 512):
        exp[power] = exp[power - 255]
    return exp, log


@cache
def _generator_table(count: int) -> tuple[int, ...]:
    """Return, for each feedback byte f, f times the generator polynomial's lower terms, packed."""
    exp, log = _gf_tables()
    generator = [1]
    for power in range(count):
        # multiply by (x - a^power); in GF(256) minus is plus
        nxt = [0] * (len(generator) + 1)
        for index, coefficient in enumerate(generator):
            nxt[index] ^= coefficient
            if coefficient:
                nxt[index + 1] ^= exp[log[coefficient] + power]
        generator = nxt
    lower = generator[1:]
    table = [0]
    for feedback in range(1, 256):
        product = bytes(exp[log[feedback] + log[c]] if c else 0 for c in lower)
        table.append(int.from_bytes(product, "big"))
    return tuple(table)


@dataclass(frozen=True)
class _PenaltyMasks:
    """The masks `_penalty` needs for a symbol of a given size."""

    size: int
    stride: int
    full: int
    row_pairs: int
    column_pairs: int


@cache
def _penalty_masks(size: int) -> _PenaltyMasks:
    """Return the penalty masks for a symbol of `size` modules per side."""
    stride = size + QUIET_ZONE_MODULES
    full = (1 << ((size + 2 * PAD_ROWS) * stride)) - 1
    base = PAD_ROWS * stride
    row_pair = (1 << (size - 1)) - 1
    column_pair = (1 << size) - 1
    row_pairs = sum(row_pair << (base + row * stride) for row in range(size))
    column_pairs = sum(column_pair << (base + row * stride) for row in range(size - 1))
    return _PenaltyMasks(size, stride, full, row_pairs, column_pairs)


@cache
def _layout(version: int) -> _Layout:
    """Return the module layout of `version`, computed once (it is a pure function of it)."""
    size = 4 * version + 17
    reserved: list[list[bool | None]] = [[None] * size for _ in range(size)]

    def put(row: int, col: int, dark: bool) -> None:
        reserved[row][col] = dark

    for top, left in ((0, 0), (size - 7, 0), (0, size - 7)):
        for r in range(-1, 8):
            for c in range(-1, 8):
                if 0 <= top + r < size and 0 <= left + c < size:
                    ring = max(abs(r - 3), abs(c - 3))
                    put(top + r, left + c, ring != 2 and ring != 4)
    centres = qr_util.pattern_position(version)
    for row in centres:
        for col in centres:
            if reserved[row][col] is not None:
                continue
            for r in range(-2, 3):
                for c in range(-2, 3):
                    put(row + r, col + c, max(abs(r), abs(c)) != 1)
    for index in range(8, size - 8):
        if reserved[index][6] is None:
            put(index, 6, index % 2 == 0)
        if reserved[6][index] is None:
            put(6, index, index % 2 == 0)
    format_positions = _format_positions(size)
    for positions in format_positions:
        for row, col in positions:
            put(row, col, False)
    put(size - 8, 8, True)
    if version >= 7:
        bits = qr_util.BCH_type_number(version)
        for index in range(18):
            dark = bool((bits >> index) & 1)
            put(index // 3, index % 3 + size - 11, dark)
            put(index % 3 + size - 11, index // 3, dark)

    stride = size + QUIET_ZONE_MODULES
    base = PAD_ROWS * stride
    order = _data_order(size, reserved)
    # every level splits the same total of codewords differently
    data_bits = 8 * sum(block.total_count for block in rs_blocks(version, ERROR_CORRECT_M))
    # The gathered string is the packed symbol body, most significant bit (last module) first.
    source = [data_bits] * (size * stride)
    for stream_index, (row, col) in enumerate(order):
        source[size * stride - 1 - (row * stride + col)] = min(stream_index, data_bits)
    function_dark = 0
    for row in range(size):
        for col in range(size):
            if reserved[row][col]:
                function_dark |= 1 << (base + row * stride + col)
    masks = tuple(
        sum(1 << (base + row * stride + col) for row, col in order if rule(row, col))
        for rule in _MASKS
    )
    format_bits: dict[tuple[int, int], int] = {}
    for level in (ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H):
        for mask in range(8):
            bits = qr_util.BCH_type_info((level << 3) | mask)
            value = 0
            for positions in format_positions:
                for index, (row, col) in enumerate(positions):
                    if (bits >> index) & 1:
                        value |= 1 << (base + row * stride + col)
            format_bits[(level, mask)] = value
    penalty = _penalty_masks(size)
    return _Layout(
        size=size,
        stride=stride,
        data_bits=data_bits,
        gather=itemgetter(*source),
        function_dark=function_dark,
        masks=masks,
        format_bits=format_bits,
        full=penalty.full,
        row_pairs=penalty.row_pairs,
        column_pairs=penalty.column_pairs,
    )


def _format_positions(size: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Return where format bits 0 to 14 go: down column 8, and along row 8."""
    vertical = [(i, 8) if i < 6 else (i + 1, 8) if i < 8 else (size - 15 + i, 8) for i in range(15)]
    horizontal = [
        (8, size - i - 1) if i < 8 else (8, 15 - i) if i < 9 else (8, 14 - i) for i in range(15)
    ]
    return vertical, horizontal


def _data_order(size: int, reserved: list[list[bool | None]]) -> list[tuple[int, int]]:
    """Return the free modules in codeword placement order (two-column zigzag from bottom right)."""
    order: list[tuple[int, int]] = []
    upward = True
    col = size - 1
    while col > 0:
        if col == 6:  # the vertical timing pattern takes a whole column
            col -= 1
        rows = range(size - 1, -1, -1) if upward else range(size)
        for row in rows:
            for c in (col, col - 1):
                if reserved[row][c] is None:
                    order.append((row, c))
        upward = not upward
        col -= 2
    return order
