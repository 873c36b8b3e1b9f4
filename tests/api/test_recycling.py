"""Recycling: the treatment operators the coordinator keeps, the waste tracking slip (BSD), the
weighed weight, and a certificate that says which weights were weighed and which estimated."""

from __future__ import annotations

import re
from typing import Any

import httpx
import msgspec
import pytest

from collecte.db.tables import Certificate, Device, DeviceEvent
from collecte.documents.certificates.model import CertificateDocument, content_fingerprint
from collecte.documents.certificates.render import render_certificate
from collecte.services.certificate_files import file_of
from tests.api.test_pages import csrf_token, post_form, sign_in
from tests.documents.reading import page_texts
from tests.factory import Account, World, act, make_donation, make_world, walk_to

OPERATORS = "/api/treatment-operators"
BSD_LABEL = "N° de bordereau de suivi des déchets (BSD)"


def flat(text: str) -> str:
    """`text` with every run of whitespace (no-break spaces included) as one space."""
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    """The whole text of a PDF, whitespace flattened."""
    return flat(" ".join(page_texts(pdf)))


async def pdf_text(client: httpx.AsyncClient, account: Account, number: str) -> str:
    """The whole text of a certificate's PDF as `account` downloads it."""
    response = await client.get(f"/api/certificates/{number}/pdf", headers=account.headers)
    assert response.status_code == 200, response.text
    return text_of(response.content)


async def wiped(
    client: httpx.AsyncClient, world: World, count: int = 1, **fields: Any
) -> list[str]:
    """`count` new laptops of one donation, wiped by the world's workshop."""
    donation = await make_donation(client, world.donor, count, **fields)
    tags = [d["tag"] for d in donation["devices"]]
    for tag in tags:
        await walk_to(client, world, tag, "wiped")
    return tags


async def add_operator(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    """A treatment operator added by the coordinator."""
    body = {"name": "Trecodec", **fields}
    response = await client.post(OPERATORS, json=body, headers=world.coordinator.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def refusal(response: httpx.Response) -> tuple[int, str, str | None, str | None]:
    """Status, sentence, field and code of a refusal."""
    body = response.json()
    extra = body.get("extra") or {}
    return response.status_code, body["detail"], extra.get("field"), extra.get("code")


async def status_of(tag: str) -> str:
    row = await Device.select(Device.status).where(Device.tag == tag).first()
    assert row is not None
    return str(row["status"])


# --- the operators' list: coordinators only ------------------------------------------------------


async def test_the_coordinator_adds_lists_edits_and_deactivates_operators(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    headers = world.coordinator.headers
    created = await add_operator(
        client,
        world,
        authorization_number=" ICPE 2024-017 ",
        address="12 rue des Ferrailleurs\nDucos",
    )
    await add_operator(client, world, name="Ecotrade NC")

    renamed = await client.patch(
        f"{OPERATORS}/{created['id']}", json={"name": "Trecodec SARL"}, headers=headers
    )
    off = await client.patch(
        f"{OPERATORS}/{created['id']}", json={"is_active": False}, headers=headers
    )
    every = await client.get(OPERATORS, headers=headers)
    active = await client.get(f"{OPERATORS}?active=true", headers=headers)

    assert created["name"] == "Trecodec" and created["is_active"] is True
    assert created["authorization_number"] == "ICPE 2024-017"
    assert created["address"] == "12 rue des Ferrailleurs\nDucos"
    assert renamed.status_code == 200 and renamed.json()["name"] == "Trecodec SARL"
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert off.json()["authorization_number"] == "ICPE 2024-017"  # kept: not in the body
    assert [o["name"] for o in every.json()] == ["Ecotrade NC", "Trecodec SARL"]
    assert [o["name"] for o in active.json()] == ["Ecotrade NC"]
    assert set(every.json()[0]) == {
        "id", "name", "authorization_number", "address", "is_active", "created_at", "updated_at"
    }  # fmt: skip


@pytest.mark.parametrize("role", ["donor", "reconditioner", "association"])
async def test_only_the_coordinator_keeps_the_operators(
    client: httpx.AsyncClient, role: str
) -> None:
    world = await make_world()
    created = await add_operator(client, world)
    account: Account = getattr(world, role)

    answers = [
        await client.get(OPERATORS, headers=account.headers),
        await client.post(OPERATORS, json={"name": "Autre"}, headers=account.headers),
        await client.patch(
            f"{OPERATORS}/{created['id']}", json={"is_active": False}, headers=account.headers
        ),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert all(a.json()["extra"]["code"] == "forbidden" for a in answers)
    assert (await client.get(OPERATORS)).status_code == 401


async def test_an_operator_is_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    world = await make_world()
    headers = world.coordinator.headers
    created = await add_operator(client, world)

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post(OPERATORS, json=body, headers=headers)

    longest = await post({"name": "N" * 200, "authorization_number": "A" * 100})
    too_long = await post({"name": "N" * 201})
    blank = await post({"name": "   "})
    auth_too_long = await post({"name": "Autre", "authorization_number": "A" * 101})
    twice = await post({"name": " trecodec "})
    unknown = await client.patch(f"{OPERATORS}/999999", json={"name": "X"}, headers=headers)
    empty = await client.patch(f"{OPERATORS}/{created['id']}", json={}, headers=headers)
    odd = await client.patch(
        f"{OPERATORS}/{created['id']}", json={"is_active": "non"}, headers=headers
    )

    assert longest.status_code == 201, longest.text
    assert refusal(too_long)[0] == 422 and refusal(too_long)[2] == "name"
    assert refusal(blank)[0] == 422 and refusal(blank)[2] == "name"
    assert refusal(auth_too_long)[0] == 422
    assert refusal(auth_too_long)[2] == "authorization_number"
    assert refusal(twice) == (
        409,
        "Un opérateur de traitement s’appelle déjà « Trecodec » : modifiez-le plutôt que d’en "
        "ajouter un second.",
        "name",
        "duplicate_name",
    )
    assert refusal(unknown)[:3] == (404, "Opérateur de traitement 999999 introuvable.",
                                    "treatment_operator_id")  # fmt: skip
    assert refusal(empty)[0] == 422
    assert refusal(odd) == (
        422, "Le champ « Actif » doit valoir true ou false.", "is_active", "invalid")  # fmt: skip


async def test_the_operators_api_is_typed_in_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    components = schema["components"]["schemas"]

    listed = paths["/api/treatment-operators"]["get"]["responses"]["200"]["content"]
    assert listed["application/json"]["schema"]["items"]["$ref"].endswith("TreatmentOperatorOut")
    assert "post" in paths["/api/treatment-operators"]
    assert "patch" in paths["/api/treatment-operators/{operator_id}"]
    assert set(components["TreatmentOperatorOut"]["required"]) >= {"id", "name", "is_active"}
    recycle = components["Recycle"]["properties"]
    # The bounds sit beside the oneOf of an optional field, or inside its variant.
    bsd = recycle["bsd_number"]
    for variant in bsd.get("oneOf", []):
        bsd = {**variant, **bsd} if variant.get("type") == "string" else bsd
    assert bsd["maxLength"] == 60
    assert re.fullmatch(bsd["pattern"], "BSD-2026/000.12_3")
    assert not re.fullmatch(bsd["pattern"], "BSD#1") and not re.fullmatch(bsd["pattern"], "-1")
    assert "treatment_operator_id" in recycle and "weight_kg" in recycle


# --- recycle: its data, both sides of each limit ------------------------------------------------


async def test_the_slip_number_and_the_weight_are_bounded(client: httpx.AsyncClient) -> None:
    world = await make_world()
    longest, heaviest, lightest, tag = await wiped(client, world, 4)
    recycle = {"channel": "Trecodec"}

    def said(response: httpx.Response) -> tuple[int, str, str | None, str | None]:
        return refusal(response)

    refused = [
        said(await act(client, world.reconditioner, tag, "recycle", **recycle, **data))
        for data in (
            {"bsd_number": "B" * 61},
            {"bsd_number": "BSD#1"},
            {"bsd_number": "BSD\n1"},
            {"weight_kg": 0},
            {"weight_kg": -2},
            {"weight_kg": 1000.001},
            {"weight_kg": "2,5"},
        )
    ]
    accepted = [
        await act(client, world.reconditioner, longest, "recycle", **recycle, bsd_number="B" * 60),
        await act(client, world.reconditioner, heaviest, "recycle", **recycle, weight_kg=1000),
        await act(client, world.reconditioner, lightest, "recycle", **recycle, weight_kg=0.001),
    ]

    assert refused[0] == (
        422,
        f"Le champ « {BSD_LABEL} » dépasse 60 caractères.",
        "bsd_number",
        "invalid_data",
    )
    assert refused[1] == (
        422,
        f"Le champ « {BSD_LABEL} » ne peut contenir que des lettres, des chiffres, des espaces "
        "et les signes - / . _ : recopiez le numéro tel qu’il figure sur le bordereau.",
        "bsd_number",
        "invalid_data",
    )
    assert refused[2][0] == 422 and refused[2][2] == "bsd_number"
    assert refused[3] == (
        422,
        "Le champ « Poids (kg) » doit être supérieur à 0.",
        "weight_kg",
        "invalid_data",
    )
    assert refused[4][:3] == (422, "Le champ « Poids (kg) » doit être supérieur à 0.", "weight_kg")
    assert refused[5] == (
        422, "Le champ « Poids (kg) » doit être inférieur ou égal à 1000.", "weight_kg",
        "invalid_data")  # fmt: skip
    assert refused[6][0] == 422 and refused[6][2] == "weight_kg"
    assert [a.status_code for a in accepted] == [200, 200, 200], [a.text for a in accepted]
    assert [a.json()["weight_kg"] for a in accepted[1:]] == [1000, 0.001]
    assert await status_of(tag) == "wiped"


async def test_version_1_free_text_channel_stands_while_the_list_is_empty(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await wiped(client, world)

    done = await act(client, world.reconditioner, tag, "recycle", channel="Filière DEEE locale")

    assert done.status_code == 200, done.text
    [event] = [e for e in done.json()["events"] if e["action"] == "recycle"]
    assert event["data"] == {"channel": "Filière DEEE locale", "weight_kg": None}


async def test_a_channel_must_be_an_active_operator_once_there_is_a_list(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    trecodec = await add_operator(client, world)
    ecotrade = await add_operator(client, world, name="Ecotrade NC")
    await client.patch(
        f"{OPERATORS}/{ecotrade['id']}",
        json={"is_active": False},
        headers=world.coordinator.headers,
    )
    tag, by_id, by_name = await wiped(client, world, 3)

    unknown = await act(client, world.reconditioner, tag, "recycle", channel="Inconnu")
    inactive = await act(client, world.reconditioner, tag, "recycle", channel="Ecotrade NC")
    inactive_id = await act(
        client, world.reconditioner, tag, "recycle", treatment_operator_id=ecotrade["id"]
    )
    mismatch = await act(
        client, world.reconditioner, tag, "recycle",
        treatment_operator_id=trecodec["id"], channel="Autre",
    )  # fmt: skip
    nothing = await act(client, world.reconditioner, tag, "recycle")
    chosen = await act(
        client, world.reconditioner, by_id, "recycle", treatment_operator_id=trecodec["id"]
    )
    named = await act(client, world.reconditioner, by_name, "recycle", channel=" TRECODEC ")

    what_to_do = (
        "ne désigne pas un opérateur de traitement actif. Choisissez l’un de : « Trecodec » ; "
        "ou demandez à la coordination d’ajouter le vôtre."
    )
    assert refusal(unknown) == (
        422, f"Le champ « Filière de recyclage » {what_to_do}", "channel",
        "unknown_treatment_operator")  # fmt: skip
    assert refusal(inactive) == refusal(unknown)
    assert refusal(inactive_id) == (
        422, f"Le champ « Opérateur de traitement » {what_to_do}", "treatment_operator_id",
        "unknown_treatment_operator")  # fmt: skip
    assert refusal(mismatch)[0::2] == (422, "channel")
    assert refusal(nothing)[0::2] == (422, "channel")
    assert await status_of(tag) == "wiped"
    assert chosen.status_code == 200 and named.status_code == 200, (chosen.text, named.text)
    for answer in (chosen, named):
        [event] = [e for e in answer.json()["events"] if e["action"] == "recycle"]
        assert event["data"]["channel"] == "Trecodec"  # the list's spelling
        assert event["data"]["treatment_operator_id"] == trecodec["id"]
    # The refusals took no certificate number: the two recyclings are RCY 1 and 2.
    numbers = [a.json()["certificate"]["number"] for a in (chosen, named)]
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["00001", "00002"]


async def test_no_active_operator_says_to_ask_the_coordination(client: httpx.AsyncClient) -> None:
    world = await make_world()
    only = await add_operator(client, world)
    await client.patch(
        f"{OPERATORS}/{only['id']}", json={"is_active": False}, headers=world.coordinator.headers
    )
    [tag] = await wiped(client, world)

    refused = await act(client, world.reconditioner, tag, "recycle", channel="Trecodec")

    assert refusal(refused) == (
        422,
        "Aucun opérateur de traitement n’est actif : demandez à la coordination d’en ajouter ou "
        "d’en réactiver un, puis choisissez-le.",
        "channel",
        "unknown_treatment_operator",
    )


async def test_a_batch_with_one_bad_line_or_a_bad_operator_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await add_operator(client, world)
    tags = await wiped(client, world, 3)
    registered = (await make_donation(client, world.donor, 1))["devices"][0]["tag"]
    events = await DeviceEvent.count()
    certificates = await Certificate.count()

    async def batch(codes: list[str], **data: Any) -> httpx.Response:
        return await client.post(
            "/api/transitions",
            json={"action": "recycle", "tags": codes, **data},
            headers=world.reconditioner.headers,
        )

    one_bad_line = await batch([*tags, registered], channel="Trecodec", bsd_number="BSD-1")
    bad_operator = await batch(tags, channel="Inconnu", bsd_number="BSD-1")
    bad_slip = await batch(tags, channel="Trecodec", bsd_number="BSD;1")
    bad_weight = await batch(tags, channel="Trecodec", weight_kg=1001)

    assert one_bad_line.status_code in (403, 409), one_bad_line.text
    assert [f["tag"] for f in one_bad_line.json()["extra"]["errors"]] == [registered]
    assert refusal(bad_operator)[0::2] == (422, "channel")
    assert refusal(bad_slip)[0::2] == (422, "bsd_number")
    assert refusal(bad_weight)[0::2] == (422, "weight_kg")
    assert [await status_of(tag) for tag in tags] == ["wiped"] * 3
    assert await DeviceEvent.count() == events
    assert await Certificate.count() == certificates


# --- the certificate --------------------------------------------------------------------------


async def test_the_certificate_says_weighed_or_estimated_per_device_and_prints_the_slip(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await add_operator(
        client, world, authorization_number="ICPE 2024-017", address="12 rue des Ferrailleurs"
    )
    weighed = await wiped(client, world, 2, serial_number=None)
    estimated = await wiped(client, world, 1, serial_number="PC-ESTIME")
    declared = await wiped(client, world, 1, serial_number="PC-DECLARE", weight_kg=3.2)

    batch = await client.post(
        "/api/transitions",
        json={"action": "recycle", "tags": weighed, "channel": "Trecodec",
              "bsd_number": "BSD-2026-000123", "weight_kg": 2.5},
        headers=world.reconditioner.headers,
    )  # fmt: skip
    mixed = await client.post(
        "/api/transitions",
        json={"action": "recycle", "tags": [*estimated, *declared], "channel": "Trecodec"},
        headers=world.reconditioner.headers,
    )
    assert batch.status_code == 200 and mixed.status_code == 200, (batch.text, mixed.text)
    weighed_text = await pdf_text(client, world.donor, batch.json()["certificate"]["number"])
    mixed_text = await pdf_text(client, world.donor, mixed.json()["certificate"]["number"])

    # Each line says how its weight is known, in the "Pesée" column after the weight.
    assert "Poids Pesée" in weighed_text
    assert weighed_text.count("2,50 kg pesé") == 2
    assert "Bordereau de suivi des déchets (BSD) BSD-2026-000123" in weighed_text
    assert "Trecodec 12 rue des Ferrailleurs N° d’autorisation (ICPE) : ICPE 2024-017" in (
        weighed_text
    )
    assert "Poids total 5,00 kg dont poids pesé 5,00 kg (2 appareils)" in weighed_text
    assert "dont poids estimé" not in weighed_text
    assert "PC-ESTIME 1,60 kg estimé" in mixed_text
    assert "PC-DECLARE 3,20 kg déclaré" in mixed_text
    assert (
        "Poids total 4,80 kg dont poids pesé 0,00 kg (0 appareil) dont poids déclaré à "
        "l’enregistrement 3,20 kg (1 appareil) dont poids estimé 1,60 kg (1 appareil)"
    ) in mixed_text
    assert "Bordereau de suivi" not in mixed_text  # none given
    # What "estimé" means: the programme's average for the category, not a weighing.
    assert "poids moyen retenu par le programme pour la catégorie de l’appareil" in mixed_text


async def test_the_stored_document_renders_the_same_certificate_again(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await add_operator(client, world, authorization_number="ICPE 7")
    tags = await wiped(client, world, 2)
    done = await act(
        client, world.reconditioner, tags[0], "recycle",
        channel="Trecodec", bsd_number="BSD 42", weight_kg=1.25,
    )  # fmt: skip
    number = done.json()["certificate"]["number"]
    # The operator changes later: the certificate issued keeps what it printed.
    [operator] = (await client.get(OPERATORS, headers=world.coordinator.headers)).json()
    await client.patch(
        f"{OPERATORS}/{operator['id']}",
        json={"authorization_number": "ICPE 8", "name": "Trecodec 2"},
        headers=world.coordinator.headers,
    )

    row = await Certificate.select().where(Certificate.number == number).first()
    assert row is not None
    document = msgspec.json.decode(row["document"], type=CertificateDocument)
    [line] = document.devices
    again = render_certificate(document)
    issued = (await file_of(number)).pdf

    assert (line.weight_kg, line.weight_source) == (1.25, "weighed")
    assert (document.bsd_number, document.channel_authorization) == ("BSD 42", "ICPE 7")
    assert content_fingerprint(document) == row["content_fingerprint"]
    assert again == issued  # the stored content renders the file issued, byte for byte
    assert "ICPE 7" in text_of(issued) and "Trecodec 2" not in text_of(issued)
    [event] = (
        await DeviceEvent.select(DeviceEvent.data)
        .where(DeviceEvent.certificate_number == number)
        .output(load_json=True)
    )
    assert event["data"] == {
        "channel": "Trecodec",
        "treatment_operator_id": operator["id"],
        "bsd_number": "BSD 42",
        "weight_kg": 1.25,
    }


# --- the pages -------------------------------------------------------------------------------


async def test_the_operators_page_adds_edits_and_deactivates(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.coordinator)

    page = await client.get("/coordination/filieres")
    added = await post_form(
        client,
        "/coordination/filieres",
        "/coordination/filieres",
        {"name": "Trecodec", "authorization_number": "ICPE 1", "address": "Ducos"},
    )
    listed = await client.get(added.headers["location"])
    [operator] = (await client.get(OPERATORS, headers=world.coordinator.headers)).json()
    twice = await post_form(
        client, "/coordination/filieres", "/coordination/filieres", {"name": "TRECODEC"}
    )
    off = await post_form(
        client,
        "/coordination/filieres",
        f"/coordination/filieres/{operator['id']}",
        {"is_active": "0"},
    )
    after = await client.get("/coordination/filieres")
    no_token = await client.post("/coordination/filieres", data={"name": "Sans jeton"})

    assert page.status_code == 200 and "Filières de recyclage" in page.text
    assert 'name="viewport"' in page.text  # phone-friendly, like every page
    assert added.status_code == 303
    assert "Opérateur ajouté : Trecodec" in listed.text and "ICPE 1" in listed.text
    assert twice.status_code == 409 and "s’appelle déjà « Trecodec »" in twice.text
    assert off.status_code == 303
    assert "désactivé" in after.text and "Réactiver" in after.text
    assert no_token.status_code == 403
    assert len((await client.get(OPERATORS, headers=world.coordinator.headers)).json()) == 1


@pytest.mark.parametrize("role", ["donor", "reconditioner", "association"])
async def test_the_operators_page_is_the_coordinators(client: httpx.AsyncClient, role: str) -> None:
    world = await make_world()
    await sign_in(client, getattr(world, role))

    page = await client.get("/coordination/filieres")

    assert page.status_code == 403


async def test_the_recycle_forms_offer_the_operators_the_slip_and_the_weight(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await add_operator(client, world, authorization_number="ICPE 1")
    off = await add_operator(client, world, name="Ancien opérateur")
    await client.patch(
        f"{OPERATORS}/{off['id']}", json={"is_active": False}, headers=world.coordinator.headers
    )
    [tag] = await wiped(client, world)
    await sign_in(client, world.reconditioner)

    batch = await client.get("/scan?action=recycle")
    device = await client.get(f"/d/{tag}")
    done = await client.post(
        f"/d/{tag}",
        data={
            "action": "recycle",
            "channel": "Trecodec",
            "bsd_number": "BSD-9",
            "weight_kg": "2,4",
            "_csrf_token": csrf_token(device),
        },
    )

    for page in (batch, device):
        assert page.status_code == 200
        assert re.search(r'<select name="channel" id="[^"]*channel" required>', page.text)
        assert '<option value="Trecodec">Trecodec (ICPE 1)</option>' in page.text
        assert "Ancien opérateur" not in page.text
        assert 'name="bsd_number"' in page.text and 'maxlength="60"' in page.text
        assert 'name="weight_kg"' in page.text and "Poids pesé (kg, facultatif)" in page.text
        assert 'name="treatment_operator_id"' not in page.text
    assert done.status_code == 303, done.text
    number = re.search(r"certificat=(RCY-\d{4}-\d{5})", done.headers["location"])
    assert number
    text = await pdf_text(client, world.donor, number.group(1))
    assert "2,40 kg pesé" in text and "BSD-9" in text


async def test_an_english_certificate_says_weighed_and_estimated(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await add_operator(client, world, authorization_number="ICPE 7")
    tags = await wiped(client, world, 2)
    weighed = await client.post(
        f"/api/devices/{tags[0]}/transitions?lang=en",
        json={"action": "recycle", "channel": "Trecodec", "bsd_number": "BSD 1", "weight_kg": 2},
        headers=world.reconditioner.headers,
    )
    estimated = await client.post(
        f"/api/devices/{tags[1]}/transitions?lang=en",
        json={"action": "recycle", "channel": "Trecodec"},
        headers=world.reconditioner.headers,
    )

    first = await pdf_text(client, world.donor, weighed.json()["certificate"]["number"])
    second = await pdf_text(client, world.donor, estimated.json()["certificate"]["number"])

    assert "2.00 kg weighed" in first and "Waste tracking slip (BSD) BSD 1" in first
    assert "Authorisation number (ICPE): ICPE 7" in first
    assert "1.60 kg estimated" in second and "of which estimated 1.60 kg (1 device)" in second
