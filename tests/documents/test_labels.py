"""QR labels read back: codes decoded where their label is, texts kept inside, stocks loaded."""

from __future__ import annotations

import dataclasses
import io
import random
import shutil
from pathlib import Path

import pytest
import qrcode
from pypdf import PdfReader
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from collecte.documents import qr
from collecte.documents.label_sheets import (
    LABEL_ERROR_CORRECTION,
    LABELS_DIR,
    LabelContent,
    LabelFormat,
    format_tag,
    label_box,
    load_formats,
    render_labels,
)
from collecte.services.labels import blank_content
from collecte.settings import Settings
from tests.documents.reading import (
    DecodedCode,
    dark_pixels_outside,
    decode_qr_codes,
    page_count,
    page_images,
    page_texts,
    text_runs,
)
from tests.language import french_left_in

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EXPECTED_FORMATS = {"avery-l7160", "avery-l7161", "avery-l7163", "thermal-62x29"}
LONG = (
    "Apple MacBook Pro 13 pouces 2017 (A1708) Retina, clavier AZERTY, "
    "chargeur d’origine et sacoche — très bon état, batterie changée en 2024 " * 3
)
TOLERANCE_PT = 1.5  # rasterising at 200 dpi puts a decoded corner within a pixel or so


def tags(count: int, seed: int = 7) -> list[str]:
    """Return distinct random canonical tags."""
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        tag = "".join(rng.choice(CROCKFORD) for _ in range(8))
        if tag not in found:
            found.append(tag)
    return found


def device_labels(count: int, seed: int = 7) -> list[LabelContent]:
    """Return labels for `count` registered devices."""
    return [
        LabelContent(
            tag=tag,
            payload=f"HTTP://LOCALHOST:8000/D/{tag}",
            category="Ordinateur portable",
            brand_model="Dell Latitude 5490",
            donor="OPT-NC",
        )
        for tag in tags(count, seed)
    ]


@pytest.fixture(scope="module")
def formats() -> dict[str, LabelFormat]:
    """Return the stocks shipped in labels/."""
    loaded, errors = load_formats(LABELS_DIR)
    assert errors == []
    return loaded


def inside(code: DecodedCode, box: tuple[float, float, float, float]) -> bool:
    """Tell whether a decoded code lies within a label box (x, y, width, height)."""
    x, y, width, height = box
    return (
        code.x0 >= x - TOLERANCE_PT
        and code.y0 >= y - TOLERANCE_PT
        and code.x1 <= x + width + TOLERANCE_PT
        and code.y1 <= y + height + TOLERANCE_PT
    )


def expected_position(index: int, skip: int, per_page: int) -> tuple[int, int]:
    """Return (page, position) where the label number `index` should be printed."""
    return divmod(skip + index, per_page)


# --- stocks -----------------------------------------------------------------------------------


def test_every_shipped_stock_loads_with_its_real_dimensions(
    formats: dict[str, LabelFormat],
) -> None:
    assert set(formats) >= EXPECTED_FORMATS
    l7160 = formats["avery-l7160"]
    assert (l7160.columns, l7160.rows, l7160.per_page) == (3, 7, 21)
    assert (l7160.label_width_mm, l7160.label_height_mm) == (63.5, 38.1)
    assert l7160.label_width_mm + l7160.gap_x_mm == pytest.approx(66.04)  # Avery's pitch
    assert formats["avery-l7161"].per_page == 24
    assert formats["avery-l7163"].per_page == 14
    assert formats["thermal-62x29"].per_page == 1
    for fmt in formats.values():
        assert fmt.name and fmt.offset_x_mm == 0 and fmt.offset_y_mm == 0


@pytest.mark.parametrize("format_id", sorted(EXPECTED_FORMATS))
def test_every_stock_renders_labels_that_scan(
    formats: dict[str, LabelFormat], format_id: str
) -> None:
    fmt = formats[format_id]
    labels = device_labels(3)
    pdf = render_labels(labels, fmt)
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == -(-len(labels) // fmt.per_page)
    assert sorted(code.text for code in decode_qr_codes(pdf)) == sorted(
        label.payload for label in labels
    )


def test_a_bad_file_is_reported_by_name_and_the_others_still_load(tmp_path: Path) -> None:
    shutil.copy(LABELS_DIR / "avery-l7160.toml", tmp_path / "avery-l7160.toml")
    good = (LABELS_DIR / "thermal-62x29.toml").read_text(encoding="utf-8")
    (tmp_path / "broken-syntax.toml").write_text('name = "Sans fin\nrows = 3\n', encoding="utf-8")
    (tmp_path / "missing-field.toml").write_text(
        good.replace("label_height_mm = 29\n", ""), encoding="utf-8"
    )
    (tmp_path / "too-many-rows.toml").write_text(
        good.replace("rows = 1", "rows = 2"), encoding="utf-8"
    )
    (tmp_path / "negative-size.toml").write_text(
        good.replace("label_width_mm = 62", "label_width_mm = -62"), encoding="utf-8"
    )
    (tmp_path / "text-count.toml").write_text(
        good.replace("columns = 1", 'columns = "un"'), encoding="utf-8"
    )
    (tmp_path / "typo.toml").write_text(good + "offset_x = 1\n", encoding="utf-8")
    (tmp_path / "huge-offset.toml").write_text(
        good.replace("offset_y_mm = 0", "offset_y_mm = 25"), encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("not a stock", encoding="utf-8")

    loaded, errors = load_formats(tmp_path)

    assert set(loaded) == {"avery-l7160"}
    assert loaded["avery-l7160"].per_page == 21
    bad = [
        "broken-syntax.toml",
        "missing-field.toml",
        "too-many-rows.toml",
        "negative-size.toml",
        "text-count.toml",
        "typo.toml",
        "huge-offset.toml",
    ]
    assert len(errors) == len(bad)
    for name in bad:
        (message,) = [error for error in errors if error.startswith(f"{name} :")]
        assert len(message) > len(name) + 10
    by_file = {error.split(" :", 1)[0]: error for error in errors}
    assert "label_height_mm" in by_file["missing-field.toml"]
    assert "hauteur" in by_file["too-many-rows.toml"]
    assert "label_width_mm" in by_file["negative-size.toml"]
    assert "columns" in by_file["text-count.toml"]
    assert "offset_x" in by_file["typo.toml"]
    assert "offset_y_mm" in by_file["huge-offset.toml"]


def test_a_missing_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    loaded, errors = load_formats(tmp_path / "absent")
    assert loaded == {}
    assert len(errors) == 1 and "absent" in errors[0]


# --- positions --------------------------------------------------------------------------------


def test_label_boxes_follow_the_sheet_and_the_calibration(
    formats: dict[str, LabelFormat],
) -> None:
    mm = 72 / 25.4
    fmt = formats["avery-l7160"]
    x, y, width, height = label_box(fmt, 0)
    assert x == pytest.approx(7.25 * mm)
    assert y + height == pytest.approx((297 - 15.15) * mm)
    assert (width, height) == (pytest.approx(63.5 * mm), pytest.approx(38.1 * mm))
    x, y, _, _ = label_box(fmt, 20)  # bottom right
    assert x == pytest.approx((7.25 + 2 * 66.04) * mm)
    assert y == pytest.approx(15.15 * mm)
    shifted = dataclasses.replace(fmt, offset_x_mm=1.5, offset_y_mm=2.0)
    sx, sy, _, _ = label_box(shifted, 4)
    x, y, _, _ = label_box(fmt, 4)
    assert (sx - x, sy - y) == (pytest.approx(1.5 * mm), pytest.approx(-2.0 * mm))
    with pytest.raises(ValueError):
        label_box(fmt, 21)
    with pytest.raises(ValueError):
        label_box(fmt, -1)


@pytest.mark.parametrize("format_id", ["avery-l7160", "avery-l7161", "avery-l7163"])
def test_every_code_of_a_multi_page_sheet_decodes_inside_its_own_label(
    formats: dict[str, LabelFormat], format_id: str
) -> None:
    fmt = formats[format_id]
    labels = device_labels(2 * fmt.per_page + 3, seed=len(format_id))
    pdf = render_labels(labels, fmt)
    codes = decode_qr_codes(pdf)
    assert page_count(pdf) == 3
    assert len(codes) == len(labels)
    where = {code.text: code for code in codes}
    for index, label in enumerate(labels):
        page, position = expected_position(index, 0, fmt.per_page)
        code = where[label.payload]
        assert code.page == page
        assert inside(code, label_box(fmt, position)), (index, code)


def test_a_calibration_offset_moves_the_codes_with_the_boxes(
    formats: dict[str, LabelFormat],
) -> None:
    fmt = dataclasses.replace(formats["avery-l7161"], offset_x_mm=-3, offset_y_mm=4)
    labels = device_labels(fmt.per_page)
    codes = {code.text: code for code in decode_qr_codes(render_labels(labels, fmt))}
    for position, label in enumerate(labels):
        assert inside(codes[label.payload], label_box(fmt, position))


@pytest.mark.parametrize("skip", [1, 5, 20])
def test_skip_leaves_exactly_that_many_positions_empty(
    formats: dict[str, LabelFormat], skip: int
) -> None:
    fmt = formats["avery-l7160"]
    labels = device_labels(fmt.per_page)  # spills onto a second sheet by `skip` labels
    pdf = render_labels(labels, fmt, skip=skip)
    codes = decode_qr_codes(pdf)
    assert page_count(pdf) == 2
    assert len(codes) == len(labels)
    first_page = [code for code in codes if code.page == 0]
    for position in range(skip):
        assert not any(inside(code, label_box(fmt, position)) for code in first_page)
    where = {code.text: code for code in codes}
    for index, label in enumerate(labels):
        page, position = expected_position(index, skip, fmt.per_page)
        assert where[label.payload].page == page
        assert inside(where[label.payload], label_box(fmt, position))


def test_skip_must_leave_room_on_the_first_sheet(formats: dict[str, LabelFormat]) -> None:
    labels = device_labels(1)
    for fmt, skip in [
        (formats["avery-l7160"], 21),
        (formats["avery-l7160"], -1),
        (formats["thermal-62x29"], 1),
    ]:
        with pytest.raises(ValueError, match="skip"):
            render_labels(labels, fmt, skip=skip)
    assert page_count(render_labels(labels, formats["avery-l7160"], skip=20)) == 1


def test_the_thermal_roll_gets_one_page_per_label(formats: dict[str, LabelFormat]) -> None:
    fmt = formats["thermal-62x29"]
    labels = device_labels(4)
    pdf = render_labels(labels, fmt)
    codes = decode_qr_codes(pdf)
    assert page_count(pdf) == 4
    assert [(code.page, code.text) for code in sorted(codes, key=lambda c: c.page)] == [
        (index, label.payload) for index, label in enumerate(labels)
    ]
    for code in codes:
        assert inside(code, label_box(fmt, 0))


def test_every_roll_page_reads_its_own_label_and_the_shared_programme_line(
    formats: dict[str, LabelFormat],
) -> None:
    # The programme's line is one form drawn by every page of a roll; calibrated, it moves too.
    fmt = dataclasses.replace(formats["thermal-62x29"], offset_x_mm=2, offset_y_mm=-1.5)
    labels = device_labels(3)
    pdf = render_labels(labels, fmt, title="Étiquettes × 3")

    texts = page_texts(pdf)
    assert len(texts) == 3
    for text, label in zip(texts, labels, strict=True):
        assert format_tag(label.tag) in text and "La Grande Collecte Numérique" in text
        assert [format_tag(other.tag) in text for other in labels].count(True) == 1
    x, y, width, height = label_box(fmt, 0)
    for run in text_runs(pdf):
        assert x <= run.x and y <= run.y <= y + height, run
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Étiquettes × 3"
    for code in decode_qr_codes(pdf):
        assert inside(code, (x, y, width, height))


def test_no_labels_give_one_empty_page(formats: dict[str, LabelFormat]) -> None:
    pdf = render_labels([], formats["avery-l7160"])
    assert page_count(pdf) == 1
    assert decode_qr_codes(pdf) == []


# --- texts ------------------------------------------------------------------------------------


def test_a_label_shows_the_tag_category_model_serial_donor_and_programme(
    formats: dict[str, LabelFormat],
) -> None:
    label = LabelContent(
        tag="7K3P9QXM",
        payload="HTTP://LOCALHOST:8000/D/7K3P9QXM",
        category="Ordinateur portable",
        brand_model="Dell Latitude 5490",
        serial_number="5CG8213XQ7",
        donor="OPT-NC",
    )
    for fmt in formats.values():
        (text,) = page_texts(render_labels([label], fmt))
        expected_texts = (
            "7K3P-9QXM",
            "Ordinateur portable",
            "Dell Latitude 5490",
            "S/N 5CG8213XQ7",
            "OPT-NC",
        )
        for expected in expected_texts:
            assert expected in text, (fmt.id, expected)
        # Whole on every stock, at a size a workshop reads (5 pt at the smallest).
        (serial,) = [run for run in text_runs(render_labels([label], fmt)) if "S/N" in run.text]
        assert serial.text == "S/N 5CG8213XQ7" and serial.size >= 5, (fmt.id, serial)
        assert "La Grande Collecte Numérique" in text


@pytest.mark.parametrize(("language", "said"), [("fr", "Étiquette vierge"), ("en", "Blank label")])
def test_a_blank_tag_says_so(formats: dict[str, LabelFormat], language: str, said: str) -> None:
    settings = Settings(public_url="http://localhost:8000")
    blank = blank_content(settings, "7K3P9QXM", language)
    pdf = render_labels([blank], formats["thermal-62x29"])
    (text,) = page_texts(pdf)
    assert "7K3P-9QXM" in text
    assert said in text
    assert french_left_in(text) == [] if language == "en" else french_left_in(text)
    assert [code.text for code in decode_qr_codes(pdf)] == [blank.payload]


def one_label_stock(formats: dict[str, LabelFormat], width: float, height: float) -> LabelFormat:
    """Return a made-up one-label stock of the given size, to see the layout adapt."""
    return dataclasses.replace(
        formats["thermal-62x29"],
        id=f"test-{width}x{height}",
        page_width_mm=width,
        page_height_mm=height,
        label_width_mm=width,
        label_height_mm=height,
    )


@pytest.mark.parametrize(
    "stock", [*sorted(EXPECTED_FORMATS), (40, 40), (30, 50), (50, 20)], ids=str
)
def test_very_long_texts_are_shrunk_then_cut_and_stay_inside_the_label(
    formats: dict[str, LabelFormat], stock: str | tuple[float, float]
) -> None:
    fmt = formats[stock] if isinstance(stock, str) else one_label_stock(formats, *stock)
    labels = [
        LabelContent(
            tag=tag,
            payload=f"HTTP://LOCALHOST:8000/D/{tag}",
            category="Équipement réseau " * 8,
            brand_model=LONG,
            serial_number="SN-" + "0123456789" * 8,
            donor="Société Le Nickel — Direction des systèmes d’information " * 4,
        )
        for tag in tags(min(fmt.per_page, 6))
    ]
    dpi = 150
    pdf = render_labels(labels, fmt, programme_name="Programme " * 30)

    text = page_texts(pdf)[0]
    assert "…" in text
    assert LONG not in text
    assert format_tag(labels[0].tag) in text  # the tag is shrunk, never cut

    codes = decode_qr_codes(pdf)
    assert sorted(code.text for code in codes) == sorted(label.payload for label in labels)
    boxes = []
    for position in range(len(labels)):
        x, y, width, height = label_box(fmt, position)
        boxes.append((x, y, x + width, y + height))
    (image,) = page_images(pdf, dpi=dpi)
    page_height = fmt.page_height_mm * 72 / 25.4
    assert dark_pixels_outside(image, boxes, page_height, dpi) is None
    # The page edge would hide a text running off a one-label page: measure every text too.
    runs = [run for run in text_runs(pdf) if run.page == 0]
    assert len(runs) == 6 * len(labels)
    for run in runs:
        right = run.x + stringWidth(run.text, run.font, run.size)
        assert any(
            x0 <= run.x
            and right <= x1
            and y0 <= run.y - 0.25 * run.size
            and run.y + 0.95 * run.size <= y1
            for x0, y0, x1, y1 in boxes
        ), run

    # Nothing but the code itself in its quiet zone: paint the symbols white, look around them.
    size = qr.encode(labels[0].payload, LABEL_ERROR_CORRECTION).size
    for code in codes:
        module = (code.x1 - code.x0) / size
        ring = (
            code.x0 - 3.5 * module,
            code.y0 - 3.5 * module,
            code.x1 + 3.5 * module,
            code.y1 + 3.5 * module,
        )
        crop_boxes = [(code.x0, code.y0, code.x1, code.y1)]
        outside_ring = [
            (0, 0, ring[0], page_height),
            (ring[2], 0, 10_000, page_height),
            (0, 0, 10_000, ring[1]),
            (0, ring[3], 10_000, page_height),
        ]
        assert dark_pixels_outside(image, crop_boxes + outside_ring, page_height, dpi) is None


def test_characters_the_pdf_fonts_lack_are_approximated(formats: dict[str, LabelFormat]) -> None:
    label = LabelContent(
        tag="7K3P9QXM",
        payload="HTTP://LOCALHOST:8000/D/7K3P9QXM",
        category="Écran",
        brand_model="Ōkuma Ğ-100\n(reçu)",
        donor="Tribu de Saint-Louis 中",
    )
    (text,) = page_texts(render_labels([label], formats["avery-l7163"]))
    assert "Okuma G-100 (reçu)" in text
    assert "Saint-Louis ?" in text


def test_the_same_labels_give_the_same_bytes(formats: dict[str, LabelFormat]) -> None:
    labels = device_labels(5)
    fmt = formats["avery-l7161"]
    assert render_labels(labels, fmt, skip=2) == render_labels(labels, fmt, skip=2)


# --- the QR encoder ---------------------------------------------------------------------------


def reference_matrix(data: str, level: int, mask: int) -> tuple[int, list[list[bool]]]:
    """Return qrcode's version and matrix for `data` with a given mask."""
    code = qrcode.QRCode(error_correction=level, border=0, mask_pattern=mask)
    code.add_data(data, optimize=0)
    code.make(fit=True)
    return code.version, [[bool(module) for module in row] for row in code.get_matrix()]


def reference_penalty(m: list[list[bool]]) -> int:
    """Score a matrix by ISO/IEC 18004 7.8.3 the slow, obvious way (outside counts as light)."""
    n = len(m)
    lines = [list(row) for row in m] + [[m[r][c] for r in range(n)] for c in range(n)]
    score = 0
    for line in lines:  # rule 1
        run = 1
        for i in range(1, n + 1):
            if i < n and line[i] == line[i - 1]:
                run += 1
                continue
            if run >= 5:
                score += run - 2
            run = 1
    for r in range(n - 1):  # rule 2
        for c in range(n - 1):
            if m[r][c] == m[r][c + 1] == m[r + 1][c] == m[r + 1][c + 1]:
                score += 3
    finder = [True, False, True, True, True, False, True]
    for line in lines:  # rule 3
        padded = [False] * 4 + line + [False] * 4
        for i in range(len(padded) - 6):
            if padded[i : i + 7] == finder and (
                (not any(padded[max(i - 4, 0) : i]) and i >= 4)
                or (not any(padded[i + 7 : i + 11]) and i + 11 <= len(padded))
            ):
                score += 40
    dark = sum(map(sum, m))
    percent = dark * 100 / (n * n)
    score += 10 * int(abs(percent - 50) // 5)
    return score


def test_the_encoder_matches_qrcode_for_every_mode_level_and_size() -> None:
    rng = random.Random(18004)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    cases = [
        "",
        "0",
        "HTTP://LOCALHOST:8000/D/7K3P9QXM",
        "https://example.nc/verify/DON-2025-00001",
    ]
    for length in (1, 7, 30, 61, 150, 400, 1200):
        cases.append("".join(rng.choice("0123456789") for _ in range(length)))
        cases.append("".join(rng.choice(alphabet) for _ in range(length)))
        cases.append("".join(rng.choice(alphabet.lower() + "éè€") for _ in range(length // 2)))
    versions = set()
    for data in cases:
        for level in (ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H):
            symbol = qr.encode(data, level)
            version, matrix = reference_matrix(data, level, symbol.mask)
            assert (symbol.version, symbol.rows()) == (version, matrix), (data[:20], level)
            versions.add(version)
    assert min(versions) == 1 and max(versions) >= 30


def test_the_mask_chosen_is_the_one_the_standard_scores_best() -> None:
    for data in ["HTTP://LOCALHOST:8000/D/7K3P9QXM", "HTTPS://COLLECTE.OPEN-NC.ORG/D/0000ZZZZ"]:
        symbol = qr.encode(data)
        scores = [
            reference_penalty(reference_matrix(data, ERROR_CORRECT_M, m)[1]) for m in range(8)
        ]
        assert scores[symbol.mask] == min(scores)
        assert qr.penalty_score(symbol.rows()) == scores[symbol.mask]


def test_the_fast_penalty_equals_the_obvious_one_on_random_matrices() -> None:
    rng = random.Random(5)
    for size in (21, 25, 29, 45):
        for density in (0.2, 0.5, 0.8):
            matrix = [[rng.random() < density for _ in range(size)] for _ in range(size)]
            assert qr.penalty_score(matrix) == reference_penalty(matrix)


def test_a_device_url_stays_a_small_alphanumeric_code() -> None:
    assert qr.encode("HTTP://LOCALHOST:8000/D/7K3P9QXM", LABEL_ERROR_CORRECTION).version == 2
    forty = "HTTPS://COLLECTE.OPEN-NC.ORG:8443/D/7K3P9QXM"
    assert len(forty) >= 40
    assert qr.encode(forty, LABEL_ERROR_CORRECTION).version == 3
    # the same URL in lower case falls back to byte mode and a bigger code
    assert qr.encode(forty.lower(), LABEL_ERROR_CORRECTION).version > 3


def test_draw_qr_still_draws_a_readable_code_anywhere_on_a_canvas() -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(300, 300))
    canvas.setFillColorRGB(0.8, 0.1, 0.1)  # the code is black whatever the current colour
    qr.draw_qr(canvas, "https://example.nc/verify/EFF-2025-00042", 40, 50, 120, ERROR_CORRECT_Q)
    canvas.beginForm("code")
    qr.draw_qr(canvas, "HTTP://LOCALHOST:8000/D/7K3P9QXM", 0, 0, 100)
    canvas.endForm()
    canvas.translate(180, 180)
    canvas.doForm("code")
    canvas.showPage()
    canvas.save()
    codes = sorted(decode_qr_codes(buffer.getvalue()), key=lambda code: code.x0)
    assert [code.text for code in codes] == [
        "https://example.nc/verify/EFF-2025-00042",
        "HTTP://LOCALHOST:8000/D/7K3P9QXM",
    ]
    size = qr.encode("https://example.nc/verify/EFF-2025-00042", ERROR_CORRECT_Q).size
    quiet = 120 / (size + 2 * qr.QUIET_ZONE_MODULES) * qr.QUIET_ZONE_MODULES
    assert codes[0].x0 == pytest.approx(40 + quiet, abs=TOLERANCE_PT)
    assert codes[0].y1 == pytest.approx(50 + 120 - quiet, abs=TOLERANCE_PT)
