"""Who may do what: every endpoint × every role × their own or another organisation.

Each row of MATRIX is one request; each column a caller: the coordinator, a user of the
organisation the resources belong to (donor, reconditioner, association), a user of another
organisation of the same kind (primed: donor′…), and no token at all. A cell is the status
expected. The resources (see `Scene` below) belong to the unprimed
organisations: a donation of `donor`, devices collected by `recon`, allocated to `assoc`, and the
donation certificate `recon` issued to `donor`.

Placeholders in a request: `{registered}`, `{collected}`, `{received}`, `{wiped}`,
`{refurbished}`, `{allocated}` — a fresh device in that status, made for the cell (so an action
that succeeds does not change the next cell's device); `{donation}`, `{certificate}`, `{tag}`
(a collected device of that donation); `{donor_org}`, `{recon_org}`, `{assoc_org}`; `{unique}`.

To cover a new endpoint, add a row (and its body in BODIES): the test fails on any cell that
differs, and prints the row as it is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from collecte.db.tables import Device, DeviceEvent
from collecte.domain import actions, tags
from collecte.domain.clock import now
from collecte.domain.vocabulary import REGISTER_EVENT, Status
from collecte.services.certificate_files import file_of
from tests.factory import (
    PASSWORD,
    WIPE,
    Account,
    World,
    act,
    close_pickup,
    make_donation,
    make_world,
)

CALLERS = (
    "coordinator",
    "donor",
    "other_donor",
    "reconditioner",
    "other_reconditioner",
    "association",
    "other_association",
    "anonymous",
)

# fmt: off
MATRIX = """
request                                                   | coord | donor | donor′ | recon | recon′ | assoc | assoc′ | anon
GET  /health                                              |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  200
GET  /api/ping                                            |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  200
POST /api/auth/login                                      |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  200
GET  /api/public/totals                                   |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  200
GET  /api/verify/{certificate}                            |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  200
POST /api/verify                                          |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  200
GET  /api/organizations                                   |  200  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/organizations                                   |  201  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/users                                           |  201  |  403  |  403   |  403  |  403   |  403  |  403   |  401
GET  /api/users                                           |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
PATCH /api/users/{donor_user}                             |  200  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/users/{donor_user}/reset                        |  201  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/auth/password                                   |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
POST /api/auth/reset                                      |  404  |  404  |  404   |  404  |  404   |  404  |  404   |  404
POST /api/auth/logout                                     |  204  |  204  |  204   |  204  |  204   |  204  |  204   |  401
POST /api/auth/totp                                       |  200  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/auth/totp/confirm                               |  409  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/auth/totp/disable                               |  409  |  403  |  403   |  403  |  403   |  403  |  403   |  401
POST /api/donations                                       |  201  |  201  |  403   |  403  |  403   |  403  |  403   |  401
GET  /api/donations                                       |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
GET  /api/donations/{donation}                            |  200  |  200  |  404   |  200  |  404   |  200  |  404   |  401
POST /api/donations/{donation}/devices                    |  201  |  201  |  404   |  403  |  403   |  403  |  403   |  401
POST /api/donations/{donation}/devices/import             |  201  |  201  |  404   |  403  |  403   |  403  |  403   |  401
GET  /api/donations/template.csv                          |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
GET  /api/devices/{registered}                            |  200  |  200  |  404   |  200  |  200   |  404  |  404   |  401
GET  /api/devices/{collected}                             |  200  |  200  |  404   |  200  |  404   |  404  |  404   |  401
GET  /api/devices/{allocated}                             |  200  |  200  |  404   |  200  |  404   |  200  |  404   |  401
POST /api/scan                                            |  200  |  200  |  404   |  200  |  404   |  404  |  404   |  401
POST /api/devices/{registered}/transitions collect        |  200  |  403  |  404   |  200  |  200   |  404  |  404   |  401
POST /api/devices/{collected}/transitions receive         |  200  |  403  |  404   |  200  |  404   |  404  |  404   |  401
POST /api/devices/{received}/transitions wipe             |  200  |  403  |  404   |  200  |  404   |  404  |  404   |  401
POST /api/devices/{wiped}/transitions refurbish           |  200  |  403  |  404   |  200  |  404   |  404  |  404   |  401
POST /api/devices/{wiped}/transitions recycle             |  200  |  403  |  404   |  200  |  404   |  404  |  404   |  401
POST /api/devices/{refurbished}/transitions allocate      |  200  |  403  |  404   |  403  |  404   |  404  |  404   |  401
POST /api/devices/{allocated}/transitions confirm_receipt |  200  |  403  |  404   |  403  |  404   |  200  |  404   |  401
POST /api/devices/{registered}/transitions withdraw       |  200  |  200  |  404   |  403  |  403   |  404  |  404   |  401
POST /api/transitions receive                             |  200  |  403  |  422   |  200  |  422   |  422  |  422   |  401
GET  /api/certificates                                    |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
GET  /api/certificates/{certificate}                      |  200  |  200  |  404   |  200  |  404   |  404  |  404   |  401
GET  /api/certificates/{certificate}/pdf                  |  200  |  200  |  404   |  200  |  404   |  404  |  404   |  401
GET  /api/labels/formats                                  |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
GET  /api/donations/{donation}/labels.pdf                 |  200  |  200  |  404   |  403  |  403   |  403  |  403   |  401
POST /api/labels.pdf                                      |  200  |  200  |  404   |  200  |  404   |  404  |  404   |  401
GET  /api/devices/{collected}/label.pdf                   |  200  |  200  |  404   |  200  |  404   |  404  |  404   |  401
POST /api/tags/blank                                      |  201  |  403  |  403   |  403  |  403   |  403  |  403   |  401
GET  /api/totals                                          |  200  |  403  |  403   |  403  |  403   |  403  |  403   |  401
GET  /api/devices.csv                                     |  200  |  200  |  200   |  200  |  200   |  200  |  200   |  401
GET  /api/security-log                                     |  200  |  403  |  403   |  403  |  403   |  403  |  403   |  401
GET  /api/security-log.csv                                 |  200  |  403  |  403   |  403  |  403   |  403  |  403   |  401
"""  # noqa: E501 (a table reads best with one line per row)
# fmt: on

BODIES: dict[str, Any] = {
    "POST /api/auth/login": {"email": "{donor_email}", "password": PASSWORD},
    "POST /api/verify": "{certificate_pdf}",
    "POST /api/organizations": {"name": "Organisation {unique}", "kind": "donor"},
    "POST /api/users": {
        "email": "nouveau{unique}@exemple.nc",
        "password": "un-mot-de-passe-long",
        "organization_id": "{donor_org}",
    },
    "PATCH /api/users/{donor_user}": {"full_name": "Nouveau nom"},
    "POST /api/auth/password": {"current": PASSWORD, "new": "un-tout-nouveau-mot-de-passe"},
    "POST /api/auth/reset": {"token": "lien-inconnu", "new": "un-tout-nouveau-mot-de-passe"},
    # Nothing pending, nothing on: the coordinator's answer is a 409 saying so.
    "POST /api/auth/totp/confirm": {"code": "123456"},
    "POST /api/auth/totp/disable": {"code": "123456"},
    "POST /api/donations": {"donor_id": "{donor_org}", "devices": [{"category": "laptop"}]},
    "POST /api/donations/{donation}/devices": {"category": "monitor"},
    "POST /api/donations/{donation}/devices/import": "category;brand\nlaptop;Dell\n",
    "POST /api/scan": {"code": "{tag}"},
    "POST /api/devices/{registered}/transitions collect": {
        "action": "collect",
        "reconditioner_id": "{recon_org}",
    },
    "POST /api/devices/{collected}/transitions receive": {"action": "receive"},
    "POST /api/devices/{received}/transitions wipe": {"action": "wipe", **WIPE},
    "POST /api/devices/{wiped}/transitions refurbish": {"action": "refurbish", "grade": "A"},
    "POST /api/devices/{wiped}/transitions recycle": {"action": "recycle", "channel": "Trecodec"},
    "POST /api/devices/{refurbished}/transitions allocate": {
        "action": "allocate",
        "association_id": "{assoc_org}",
    },
    "POST /api/devices/{allocated}/transitions confirm_receipt": {
        "action": "confirm_receipt",
        "signature": {"name": "Marie"},
    },
    "POST /api/devices/{registered}/transitions withdraw": {"action": "withdraw", "reason": "Non"},
    "POST /api/transitions receive": {"action": "receive", "tags": ["{collected}"]},
    "POST /api/labels.pdf": {"tags": ["{tag}"]},
    "POST /api/tags/blank": {"count": 2},
}


def _parse(matrix: str) -> list[tuple[str, dict[str, int]]]:
    lines = [line for line in matrix.strip().splitlines()[1:] if line.strip()]
    rows = []
    for line in lines:
        label, *cells = (cell.strip() for cell in line.split("|"))
        assert len(cells) == len(CALLERS), line
        rows.append((" ".join(label.split()), dict(zip(CALLERS, map(int, cells), strict=True))))
    return rows


ROWS = _parse(MATRIX)
_unique = itertools.count(1)


@dataclass
class Scene:
    """The world, and the resources that belong to its unprimed organisations."""

    world: World
    donation_id: int
    tag: str
    certificate: str
    certificate_pdf: bytes

    async def fresh_device(self, status: Status) -> str:
        """A new device of the donation in `status`, held as the scene says (no certificate)."""
        at = now()
        world = self.world
        holder = status not in (Status.REGISTERED, Status.WITHDRAWN)
        allocated = status in (Status.ALLOCATED, Status.DELIVERED)
        tag = tags.generate()
        device = Device(
            tag=tag,
            donation=self.donation_id,
            donor=world.donor.organization_id,
            category="laptop",
            has_storage=True,
            weight_kg=1.6,
            status=status.value,
            reconditioner=world.reconditioner.organization_id if holder else None,
            association=world.association.organization_id if allocated else None,
            grade="A" if status in (Status.REFURBISHED, Status.ALLOCATED) else None,
            registered_at=at,
            updated_at=at,
        )
        await device.save()
        await DeviceEvent.insert(
            DeviceEvent(
                device=device.id,
                action=REGISTER_EVENT,
                to_status=status.value,  # one event straight to the status: enough for access
                actor_role="coordinator",
                created_at=at,
            )
        )
        if status is Status.WIPED:  # its erasure record, so the gate to reuse is open
            wipe = actions.decode({"action": "wipe", **WIPE})
            await DeviceEvent.insert(
                DeviceEvent(
                    device=device.id,
                    action="wipe",
                    from_status=status.value,
                    to_status=status.value,
                    data=wipe.event_data({"tag": tag, "serial_number": None}),
                    actor_role="coordinator",
                    created_at=at,
                )
            )
        return tag

    def value(self, name: str) -> Any:
        """The value of a placeholder that does not need a fresh device."""
        world = self.world
        return {
            "donation": self.donation_id,
            "tag": self.tag,
            "certificate": self.certificate,
            "certificate_pdf": self.certificate_pdf,
            "donor_org": world.donor.organization_id,
            "recon_org": world.reconditioner.organization_id,
            "assoc_org": world.association.organization_id,
            "donor_email": world.donor.email,
            "donor_user": world.donor.user_id,
            "unique": next(_unique),
        }[name]

    async def resolve(self, template: Any) -> Any:
        """The template with its placeholders replaced (fresh devices made on the way)."""
        if isinstance(template, dict):
            return {key: await self.resolve(value) for key, value in template.items()}
        if isinstance(template, list):
            return [await self.resolve(value) for value in template]
        if not isinstance(template, str) or "{" not in template:
            return template
        parts = template.split("{")
        text = parts[0]
        for part in parts[1:]:
            name, _, rest = part.partition("}")
            statuses = {s.value: s for s in Status}
            value = (
                await self.fresh_device(statuses[name]) if name in statuses else self.value(name)
            )
            if template == "{" + name + "}" and not isinstance(value, str):
                return value  # a whole-value placeholder keeps its type (ids, PDF bytes)
            text += f"{value}{rest}"
        return text


async def _scene(client: httpx.AsyncClient) -> Scene:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    tag = donation["devices"][0]["tag"]
    collected = await act(client, world.reconditioner, tag, "collect")
    assert collected.status_code == 200, collected.text
    closed = await close_pickup(client, world.reconditioner, tag)
    assert closed.status_code == 200, closed.text
    number = closed.json()["certificate"]["number"]
    scene = Scene(world, donation["id"], tag, number, (await file_of(number)).pdf)
    await scene.fresh_device(Status.ALLOCATED)  # so the association sees the donation
    return scene


def _caller(world: World, name: str) -> Account | None:
    return None if name == "anonymous" else getattr(world, name)


async def _request(
    client: httpx.AsyncClient, scene: Scene, label: str, caller: Account | None
) -> httpx.Response:
    method, path, *_ = label.split()
    url = await scene.resolve(path)
    body = await scene.resolve(BODIES.get(label))
    headers = dict(caller.headers) if caller else {}
    if isinstance(body, bytes):
        return await client.request(method, url, content=body, headers=headers)
    if isinstance(body, str):
        headers["Content-Type"] = "text/csv"
        return await client.request(method, url, content=body.encode(), headers=headers)
    return await client.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize(("label", "expected"), ROWS, ids=[label for label, _ in ROWS])
async def test_authorization_matrix(
    client: httpx.AsyncClient, label: str, expected: dict[str, int]
) -> None:
    scene = await _scene(client)
    actual = {}
    for name in CALLERS:
        response = await _request(client, scene, label, _caller(scene.world, name))
        actual[name] = response.status_code
        assert response.status_code < 500, (label, name, response.text)

    cells = " | ".join(f"{actual[name]:^5}" for name in CALLERS)
    assert actual == expected, f"the row is now:\n{label} | {cells}"
