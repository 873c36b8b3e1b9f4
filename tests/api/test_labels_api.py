"""Label PDFs through the API: who may print what, and every QR read back where it should be."""

from __future__ import annotations

import dataclasses
import itertools
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from collecte.db.tables import BlankTag, Device
from collecte.documents.label_sheets import LABELS_DIR, LabelFormat, label_box, load_formats
from collecte.domain import tags
from collecte.domain.fields import field_label
from collecte.domain.vocabulary import Role
from collecte.services import labels as label_service
from collecte.settings import Settings
from collecte.web.app import create_app
from tests.documents.reading import (
    DecodedCode,
    decode_qr_codes,
    page_count,
    page_images,
    page_texts,
)
from tests.factory import (
    Account,
    device,
    make_account,
    make_donation,
    make_organization,
    make_world,
)

FORMATS, FORMAT_ERRORS = load_formats(LABELS_DIR)
URL = "HTTP://COLLECTE.TEST/D/"  # the test settings' public URL, upper case
TOLERANCE_PT = 1.5  # a decoded corner lands within a pixel or so at 200 dpi
DPI = 100


# --- helpers -----------------------------------------------------------------------------------


def inside(code: DecodedCode, box: tuple[float, float, float, float]) -> bool:
    """Tell whether a decoded code lies within a label box (x, y, width, height)."""
    x, y, width, height = box
    return (
        code.x0 >= x - TOLERANCE_PT
        and code.y0 >= y - TOLERANCE_PT
        and code.x1 <= x + width + TOLERANCE_PT
        and code.y1 <= y + height + TOLERANCE_PT
    )


def assert_labels(pdf: bytes, fmt: LabelFormat, expected: list[str], skip: int = 0) -> None:
    """Every QR decodes to the expected tag's URL, inside the box of its position, in order."""
    codes = decode_qr_codes(pdf)
    assert sorted(code.text for code in codes) == sorted(URL + tag for tag in expected)
    by_place = {}
    for code in codes:
        places = [
            (code.page, position)
            for position in range(fmt.per_page)
            if inside(code, label_box(fmt, position))
        ]
        assert len(places) == 1, (code, places)
        by_place[places[0]] = code.text
    wanted = {divmod(skip + index, fmt.per_page): URL + tag for index, tag in enumerate(expected)}
    assert by_place == wanted
    assert page_count(pdf) == (skip + len(expected) - 1) // fmt.per_page + 1


def is_empty(image: Image.Image, fmt: LabelFormat, position: int) -> bool:
    """Tell whether nothing at all is printed in a label position of a rendered page."""
    x, y, width, height = label_box(fmt, position)
    scale = DPI / 72
    top = fmt.page_height_mm * 72 / 25.4 - (y + height)
    crop = image.crop(
        (int(x * scale), int(top * scale), int((x + width) * scale), int((top + height) * scale))
    )
    low, _ = crop.getextrema()
    return bool(low > 200)


def pdf_of(response: httpx.Response, status: int = 200) -> bytes:
    """The PDF of a successful answer."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    assert 'filename="' in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")
    return response.content


def field_of(response: httpx.Response, status: int) -> str:
    """The field an error answer names."""
    assert response.status_code == status, response.text
    return str(response.json()["extra"].get("field"))


def tags_of(donation: dict[str, Any]) -> list[str]:
    return [d["tag"] for d in donation["devices"]]


async def blank(client: httpx.AsyncClient, coordinator: Account, count: int) -> list[str]:
    """Reserve `count` blank tags and return them as read from the printed QR codes."""
    response = await client.post(
        "/api/tags/blank", json={"count": count}, headers=coordinator.headers
    )
    codes = decode_qr_codes(pdf_of(response, 201))
    found = [code.text.removeprefix(URL) for code in codes]
    assert len(found) == count and all(code.text.startswith(URL) for code in codes)
    return found


# --- formats -----------------------------------------------------------------------------------


async def test_every_role_lists_the_formats(client: httpx.AsyncClient) -> None:
    world = await make_world()
    for account in (world.coordinator, world.donor, world.reconditioner, world.association):
        response = await client.get("/api/labels/formats", headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {f["id"] for f in body["formats"]} == set(FORMATS)
        assert body["errors"] == []
        assert body["defaults"] == {"sheet": "avery-l7160", "single": "thermal-62x29"}
    l7160 = next(f for f in body["formats"] if f["id"] == "avery-l7160")
    assert (l7160["rows"], l7160["columns"], l7160["per_page"]) == (7, 3, 21)
    assert (l7160["label_width_mm"], l7160["label_height_mm"]) == (63.5, 38.1)
    assert (l7160["offset_x_mm"], l7160["offset_y_mm"]) == (0, 0)
    assert l7160["name"] and l7160["description"] and l7160["page_width_mm"] == 210

    assert (await client.get("/api/labels/formats")).status_code == 401


def calibrated(format_id: str, offset_x_mm: float, name: str) -> str:
    """The shipped stock file `format_id` with another name and horizontal calibration."""
    text = (LABELS_DIR / f"{format_id}.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^name = .*$", f'name = "{name}"', text)
    return re.sub(r"(?m)^offset_x_mm = .*$", f"offset_x_mm = {offset_x_mm}", text)


async def test_labels_dir_adds_and_overrides_stocks_and_reports_bad_files_by_name(
    client: httpx.AsyncClient,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # One new stock, one shipped stock recalibrated, one bad file, one bad file that would
    # replace a shipped stock (which then stays as shipped).
    (tmp_path / "avery-l7160.toml").write_text(
        calibrated("avery-l7160", 1.5, "L7160 de l’atelier"), encoding="utf-8"
    )
    (tmp_path / "maison-2x4.toml").write_text(
        calibrated("avery-l7163", 0, "Planche maison").replace("rows = 7", "rows = 4"),
        encoding="utf-8",
    )
    (tmp_path / "cassee.toml").write_text('name = "Cassée"\nrows = "sept"\n', encoding="utf-8")
    (tmp_path / "thermal-62x29.toml").write_text("rows = [", encoding="utf-8")
    app = create_app(settings.with_(labels_dir=tmp_path), manage_database=False)
    world = await make_world()
    tag = tags_of(await make_donation(client, world.donor, count=1))[0]

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as other:
        formats = await other.get("/api/labels/formats", headers=world.donor.headers)
        printed = await other.post(
            "/api/labels.pdf", json={"tags": [tag]}, headers=world.donor.headers
        )
        on_new = await other.post(
            "/api/labels.pdf", json={"tags": [tag], "format": "maison-2x4"},
            headers=world.donor.headers,
        )  # fmt: skip
        missing = await other.post(
            "/api/labels.pdf", json={"tags": [tag], "format": "cassee"}, headers=world.donor.headers
        )

    assert formats.status_code == 200
    listed = {f["id"]: f for f in formats.json()["formats"]}
    assert sorted(listed) == sorted({*FORMATS, "maison-2x4"})
    assert (listed["avery-l7160"]["name"], listed["avery-l7160"]["offset_x_mm"]) == (
        "L7160 de l’atelier",
        1.5,
    )
    assert (listed["maison-2x4"]["rows"], listed["maison-2x4"]["per_page"]) == (4, 8)
    assert listed["thermal-62x29"] == label_service.format_view(FORMATS["thermal-62x29"])
    errors = formats.json()["errors"]
    assert [error.split(" : ")[0] for error in errors] == ["cassee.toml", "thermal-62x29.toml"]
    assert "« rows » doit être un entier" in errors[0]
    assert "TOML invalide" in errors[1]
    assert "cassee.toml" in caplog.text
    override = LabelFormat(**{**dataclasses.asdict(FORMATS["avery-l7160"]), "offset_x_mm": 1.5})
    assert_labels(pdf_of(printed), override, [tag])
    new_stock = label_service.catalogue(tmp_path).formats["maison-2x4"]
    assert_labels(pdf_of(on_new), new_stock, [tag])
    assert field_of(missing, 422) == "format"


def test_stocks_reload_when_a_file_of_either_folder_changes(tmp_path: Path) -> None:
    shipped = label_service.catalogue(None)
    assert shipped.formats == FORMATS and shipped.errors == ()
    override = tmp_path / "avery-l7161.toml"

    override.write_text(calibrated("avery-l7161", -2, "Recalibrée"), encoding="utf-8")
    first = label_service.catalogue(tmp_path).formats["avery-l7161"]
    override.write_text(calibrated("avery-l7161", 3.25, "Recalibrée encore"), encoding="utf-8")
    second = label_service.catalogue(tmp_path).formats["avery-l7161"]
    override.unlink()
    back = label_service.catalogue(tmp_path).formats["avery-l7161"]

    assert (first.name, first.offset_x_mm) == ("Recalibrée", -2)
    assert (second.name, second.offset_x_mm) == ("Recalibrée encore", 3.25)
    assert back == FORMATS["avery-l7161"]
    assert label_service.catalogue(None).formats == FORMATS  # the shipped stocks, untouched


def test_a_missing_labels_dir_is_reported_and_the_shipped_stocks_still_load(
    tmp_path: Path,
) -> None:
    absent = tmp_path / "absent"

    found = label_service.catalogue(absent)

    assert found.formats == FORMATS
    assert found.errors == (f"Dossier des formats d’étiquettes introuvable : {absent}",)


# --- a donation's labels -----------------------------------------------------------------------


async def test_a_donation_prints_one_label_per_device_that_scans_to_it(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    organization = await make_organization(Role.DONOR, short_name="OPT-NC")
    donor = await make_account(Role.DONOR, organization)
    response = await client.post(
        "/api/donations",
        json={
            "devices": [
                device(category="laptop", brand="Lenovo", model="ThinkPad T480s"),
                device(category="monitor", brand="Dell", model="P2419H"),
                device(category="smartphone", brand="Samsung", model="Galaxy A52"),
            ]
        },
        headers=donor.headers,
    )
    donation = response.json()
    url = f"/api/donations/{donation['id']}/labels.pdf"

    own = await client.get(url, headers=donor.headers)
    by_coordinator = await client.get(url, headers=world.coordinator.headers)

    pdf = pdf_of(own)
    assert f"etiquettes-{donation['number']}-avery-l7160.pdf" in own.headers["content-disposition"]
    assert_labels(pdf, FORMATS["avery-l7160"], tags_of(donation))
    text = page_texts(pdf)[0]
    for expected in (
        "Ordinateur portable",
        "Écran",
        "Smartphone",
        "Lenovo ThinkPad T480s",
        "OPT-NC",
        "La Grande Collecte Numérique",
        tags.display(tags_of(donation)[0]),
    ):
        assert expected in text  # fmt: skip
    assert pdf_of(by_coordinator) == pdf  # same labels, same bytes


async def test_only_its_donor_and_coordinators_print_a_donation(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=2)
    url = f"/api/donations/{donation['id']}/labels.pdf"

    assert (await client.get(url, headers=world.other_donor.headers)).status_code == 404
    assert (await client.get(url, headers=world.reconditioner.headers)).status_code == 403
    assert (await client.get(url, headers=world.association.headers)).status_code == 403
    assert (await client.get(url)).status_code == 401
    for account in (world.donor, world.coordinator):
        missing = await client.get("/api/donations/999999/labels.pdf", headers=account.headers)
        assert missing.status_code == 404


async def test_a_donation_without_devices_has_nothing_to_print(client: httpx.AsyncClient) -> None:
    world = await make_world()
    response = await client.post("/api/donations", json={}, headers=world.donor.headers)
    empty = response.json()

    answer = await client.get(
        f"/api/donations/{empty['id']}/labels.pdf", headers=world.donor.headers
    )

    assert answer.status_code == 409
    assert answer.json()["extra"]["code"] == "no_devices"


@pytest.mark.parametrize("skip", [0, 5, 20])
async def test_skip_leaves_exactly_that_many_positions_empty(
    client: httpx.AsyncClient, skip: int
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=3)
    fmt = FORMATS["avery-l7160"]

    response = await client.get(
        f"/api/donations/{donation['id']}/labels.pdf?format=avery-l7160&skip={skip}",
        headers=world.donor.headers,
    )

    pdf = pdf_of(response)
    assert_labels(pdf, fmt, tags_of(donation), skip=skip)
    first = page_images(pdf, dpi=DPI)[0]
    empty = [p for p in range(fmt.per_page) if is_empty(first, fmt, p)]
    filled_on_first = min(3, fmt.per_page - skip)
    assert empty[:skip] == list(range(skip))
    assert len(empty) == fmt.per_page - filled_on_first
    assert not any(is_empty(first, fmt, p) for p in range(skip, skip + filled_on_first))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=avery-l9999", "format"),
        ("format=", None),  # empty means the default
        ("skip=21", "skip"),
        ("skip=-1", "skip"),
        ("format=thermal-62x29&skip=1", "skip"),
        ("format=avery-l7161&skip=23", None),  # 24 per sheet: the last position is fine
    ],
)
async def test_unknown_format_and_skip_out_of_range_are_named(
    client: httpx.AsyncClient, query: str, field: str | None
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    tag = tags_of(donation)[0]
    params = dict(pair.split("=") for pair in query.split("&"))
    body: dict[str, Any] = {"tags": [tag]}
    if "format" in params:
        body["format"] = params["format"]
    if "skip" in params:
        body["skip"] = int(params["skip"])

    answers = [
        await client.get(
            f"/api/donations/{donation['id']}/labels.pdf?{query}", headers=world.donor.headers
        ),
        await client.post("/api/labels.pdf", json=body, headers=world.donor.headers),
    ]
    # One device's label defaults to the thermal roll (one per page): name a sheet for `skip`.
    sheet = "" if "format" in params else "&format=avery-l7160"
    answers.append(
        await client.get(
            f"/api/devices/{tag}/label.pdf?{query}{sheet}", headers=world.donor.headers
        )
    )

    for answer in answers:
        if field is None:
            pdf_of(answer)
        else:
            assert field_of(answer, 422) == field
            assert str(field_label(field)) in answer.json()["detail"]


async def test_a_skip_that_is_not_a_number_is_refused(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    response = await client.get(
        f"/api/donations/{donation['id']}/labels.pdf?skip=deux", headers=world.donor.headers
    )
    assert response.status_code == 422
    assert "skip" in response.text


# --- any tags ----------------------------------------------------------------------------------


@pytest.mark.parametrize("format_id", sorted(FORMATS))
async def test_every_stock_in_labels_renders_through_the_api(
    client: httpx.AsyncClient, format_id: str
) -> None:
    world = await make_world()
    listed = tags_of(await make_donation(client, world.donor, count=3))
    fmt = FORMATS[format_id]
    skip = fmt.per_page - 1  # the labels run over onto a second page (or more)

    response = await client.post(
        "/api/labels.pdf",
        json={"tags": listed, "format": format_id, "skip": skip},
        headers=world.donor.headers,
    )

    assert_labels(pdf_of(response), fmt, listed, skip=skip)
    assert response.headers["x-label-count"] == "3"


async def test_labels_for_tags_follow_what_the_caller_may_see(client: httpx.AsyncClient) -> None:
    world = await make_world()
    own = tags_of(await make_donation(client, world.donor, count=2))
    theirs = tags_of(await make_donation(client, world.other_donor, count=1))
    fmt = FORMATS["avery-l7160"]
    # In the order given, in any spelling: a label's URL in lower case, a dashed tag.
    spelled = [f"http://collecte.test/d/{own[1].lower()}", tags.display(own[0])]

    mine = await client.post("/api/labels.pdf", json={"tags": spelled}, headers=world.donor.headers)
    mixed = await client.post(
        "/api/labels.pdf", json={"tags": [own[0], theirs[0]]}, headers=world.donor.headers
    )
    # A reconditioner holds the labels of registered devices at pick-up; an association does not.
    pickup = await client.post(
        "/api/labels.pdf", json={"tags": own + theirs}, headers=world.reconditioner.headers
    )
    association = await client.post(
        "/api/labels.pdf", json={"tags": own}, headers=world.association.headers
    )
    everything = await client.post(
        "/api/labels.pdf", json={"tags": theirs + own}, headers=world.coordinator.headers
    )

    assert_labels(pdf_of(mine), fmt, [own[1], own[0]])
    assert field_of(mixed, 404) == "tags[1]"
    assert mixed.json()["extra"]["missing"] == [tags.display(theirs[0])]
    assert_labels(pdf_of(pickup), fmt, own + theirs)
    assert field_of(association, 404) == "tags[0]"
    assert_labels(pdf_of(everything), fmt, theirs + own)
    assert (await client.post("/api/labels.pdf", json={"tags": own})).status_code == 401


async def test_bad_lists_of_tags_are_refused(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = tags_of(await make_donation(client, world.donor, count=1))[0]
    wrong = tag[:-1] + next(c for c in tags.ALPHABET if c != tag[-1])
    headers = world.donor.headers

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/api/labels.pdf", json=body, headers=headers)

    assert field_of(await post({"tags": [tag, wrong]}), 422) == "tags[1]"
    assert field_of(await post({"tags": ["pas une étiquette"]}), 422) == "tags[0]"
    assert field_of(await post({"tags": []}), 422) == "tags"
    assert field_of(await post({"tags": [tag] * 1001}), 422) == "tags"
    assert (await post({"format": "avery-l7160"})).status_code == 422  # no tags at all
    assert_labels(pdf_of(await post({"tags": [tag, tag]})), FORMATS["avery-l7160"], [tag, tag])


# --- one device --------------------------------------------------------------------------------


async def test_one_device_label_defaults_to_the_thermal_roll(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=2)
    tag = tags_of(donation)[1]
    serial = donation["devices"][1]["serial_number"]

    roll = await client.get(f"/api/devices/{tag.lower()}/label.pdf", headers=world.donor.headers)
    sheet = await client.get(
        f"/api/devices/{tags.display(tag)}/label.pdf?format=avery-l7163&skip=9",
        headers=world.reconditioner.headers,  # a registered device: its pick-up label
    )

    assert (
        f'filename="etiquette-{tags.display(tag)}-thermal-62x29.pdf"'
        in (roll.headers["content-disposition"])
    )
    assert_labels(pdf_of(roll), FORMATS["thermal-62x29"], [tag])
    assert_labels(pdf_of(sheet), FORMATS["avery-l7163"], [tag], skip=9)
    # The serial number tells ten identical laptops apart when the labels go on.
    assert f"S/N {serial}" in page_texts(pdf_of(roll))[0]


async def test_one_device_label_is_scoped(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = tags_of(await make_donation(client, world.donor, count=1))[0]
    url = f"/api/devices/{tag}/label.pdf"

    assert (await client.get(url, headers=world.other_donor.headers)).status_code == 404
    assert (await client.get(url, headers=world.association.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    pdf_of(await client.get(url, headers=world.coordinator.headers))
    unknown = tags.generate()
    assert field_of(await client.get(f"/api/devices/{unknown}/label.pdf",
                                     headers=world.coordinator.headers), 404) == "tag"  # fmt: skip
    wrong = tag[:-1] + next(c for c in tags.ALPHABET if c != tag[-1])
    assert (
        field_of(
            await client.get(f"/api/devices/{wrong}/label.pdf", headers=world.donor.headers), 422
        )
        == "tag"
    )


# --- blank tags --------------------------------------------------------------------------------


async def test_blank_tags_print_scan_and_bind_once(client: httpx.AsyncClient) -> None:
    world = await make_world()
    response = await client.post(
        "/api/tags/blank", json={"count": 5, "skip": 2}, headers=world.coordinator.headers
    )
    pdf = pdf_of(response, 201)
    assert (
        'filename="etiquettes-vierges-5-avery-l7160.pdf"'
        in (response.headers["content-disposition"])
    )
    codes = decode_qr_codes(pdf)
    printed = [code.text.removeprefix(URL) for code in codes]
    assert len(set(printed)) == 5 and all(tags.is_valid(tag) for tag in printed)
    rows = await BlankTag.select(BlankTag.tag, BlankTag.device, BlankTag.created_by)
    assert sorted(r["tag"] for r in rows) == sorted(printed)
    assert all(r["device"] is None and r["created_by"] == world.coordinator.user_id for r in rows)
    fmt = FORMATS["avery-l7160"]
    places = {
        (code.page, p) for code in codes for p in range(21) if inside(code, label_box(fmt, p))
    }
    assert places == {(0, p) for p in range(2, 7)}
    assert "Étiquette vierge" in page_texts(pdf)[0]

    # Registering a device with a scanned blank label (the QR's full URL) binds it.
    scanned = next(code.text for code in codes)
    tag = scanned.removeprefix(URL)
    bound = await client.post(
        "/api/donations",
        json={"devices": [device(tag=scanned)]},
        headers=world.donor.headers,
    )
    assert bound.status_code == 201, bound.text
    assert bound.json()["devices"][0]["tag"] == tag
    device_id = bound.json()["devices"][0]["id"]
    row = await BlankTag.select(BlankTag.device).where(BlankTag.tag == tag).first()
    assert row is not None and row["device"] == device_id
    # Its label now shows the device; a coordinator can reprint the other blank ones.
    label = await client.get(f"/api/devices/{tag}/label.pdf", headers=world.donor.headers)
    assert "Ordinateur portable" in page_texts(pdf_of(label))[0]
    others = [t for t in printed if t != tag]
    reprint = await client.post(
        "/api/labels.pdf", json={"tags": others}, headers=world.coordinator.headers
    )
    assert_labels(pdf_of(reprint), FORMATS["avery-l7160"], others)
    not_for_donors = await client.post(
        "/api/labels.pdf", json={"tags": others}, headers=world.donor.headers
    )
    assert field_of(not_for_donors, 404) == "tags[0]"

    # Once only: the same tag again is taken; a valid tag never reserved is not a blank tag.
    again = await client.post(
        f"/api/donations/{bound.json()['id']}/devices",
        json=device(tag=tags.display(tag).lower()),
        headers=world.donor.headers,
    )
    unreserved = await client.post(
        "/api/donations", json={"devices": [device(tag=tags.generate())]},
        headers=world.donor.headers,
    )  # fmt: skip
    assert again.status_code == 409, again.text
    assert unreserved.status_code == 422, unreserved.text
    assert "devices[0].tag" in unreserved.json()["extra"]["field"]
    assert await Device.count() == 1


async def test_only_coordinators_reserve_blank_tags(client: httpx.AsyncClient) -> None:
    world = await make_world()
    for account in (world.donor, world.reconditioner, world.association):
        response = await client.post("/api/tags/blank", json={"count": 3}, headers=account.headers)
        assert response.status_code == 403
    assert (await client.post("/api/tags/blank", json={"count": 3})).status_code == 401
    assert await BlankTag.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": -3}, "count"),
        ({"count": 1001}, "count"),
        ({"count": 5, "format": "inconnu"}, "format"),
        ({"count": 5, "skip": 21}, "skip"),
        ({"count": 5, "format": "thermal-62x29", "skip": 1}, "skip"),
    ],
)
async def test_a_bad_blank_tag_request_reserves_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    world = await make_world()
    response = await client.post("/api/tags/blank", json=body, headers=world.coordinator.headers)
    assert field_of(response, 422) == field
    not_a_number = await client.post(
        "/api/tags/blank", json={"count": "cinq"}, headers=world.coordinator.headers
    )
    assert not_a_number.status_code == 422 and "count" in not_a_number.text
    assert await BlankTag.count() == 0


async def test_a_tag_is_never_handed_out_twice(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    bound, unbound = await blank(client, world.coordinator, 2)
    registered = await client.post(
        "/api/donations", json={"devices": [device(tag=bound), device()]},
        headers=world.donor.headers,
    )  # fmt: skip
    on_device = registered.json()["devices"][1]["tag"]
    fresh = [tags.generate() for _ in range(3)]
    # The generator first offers every tag already in use, then fresh ones.
    offered = itertools.chain([bound, unbound, on_device], fresh)
    monkeypatch.setattr(tags, "generate", lambda: next(offered))

    reserved = await blank(client, world.coordinator, 2)

    assert sorted(reserved) == sorted(fresh[:2])
    assert await BlankTag.count() == 4


async def test_labels_render_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    threads: list[int] = []
    render = label_service.render_labels

    def spy(*args: Any) -> bytes:
        threads.append(threading.get_ident())
        return render(*args)

    monkeypatch.setattr(label_service, "render_labels", spy)
    await blank(client, world.coordinator, 1)

    assert threads and threading.get_ident() not in threads
