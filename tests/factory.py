"""Test data: organisations, users and tokens made directly, so tests name only what they test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import httpx
from argon2 import PasswordHasher

from collecte.db.tables import Device, Organization, User
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.vocabulary import Role
from collecte.services.sessions import open_session

PASSWORD = "mot-de-passe-test"
SECRET = "test-secret-" + "x" * 40
_counter = itertools.count(1)


# The accounts of the tests are hashed with Argon2id at its lowest cost: a hash carries its own
# parameters, so every sign-in of a test account verifies in a millisecond instead of the ~0.1 s
# and 64 MiB of the shipped cost. What the shipped cost does is tested where it matters: an
# unknown e-mail still verifies against the shipped dummy hash (the hashing gate's tests), and
# accounts made through the API or the command line are hashed at the shipped cost.
_CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@cache
def _password_hash() -> str:
    return _CHEAP.hash(PASSWORD)


@dataclass(frozen=True)
class Account:
    """A user with a ready token (a live session, as signing in opens)."""

    user_id: int
    email: str
    organization_id: int
    organization_name: str
    role: Role
    token: str

    @property
    def principal(self) -> Principal:
        """This user as the services see them."""
        return Principal(
            self.user_id,
            self.email,
            f"Personne {self.email}",
            self.organization_id,
            self.organization_name,
            self.role,
        )

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this user."""
        return {"Authorization": f"Bearer {self.token}"}


async def make_organization(kind: Role, name: str | None = None, **fields: Any) -> dict[str, Any]:
    """An organisation of `kind`, with a unique name unless one is given."""
    row = Organization(
        name=name or f"{kind.value.title()} {next(_counter)}",
        kind=kind.value,
        language="fr",
        created_at=now(),
        **fields,
    )
    await row.save()
    return row.to_dict()


async def make_account(
    kind: Role, organization: dict[str, Any] | None = None, *, provisional: bool = False
) -> Account:
    """A user (and its organisation unless given) with the test password, signed in."""
    organization = organization or await make_organization(kind)
    email = f"user{next(_counter)}@{kind.value}.test"
    user = User(
        email=email,
        password_hash=_password_hash(),
        full_name=f"Personne {email}",
        organization=organization["id"],
        is_active=True,
        password_provisional=provisional,
        created_at=now(),
    )
    await user.save()
    principal = Principal(
        user.id, email, user.full_name, organization["id"], organization["name"], kind
    )
    opened = await open_session(principal, SECRET, timedelta(hours=1))
    return Account(user.id, email, organization["id"], organization["name"], kind, opened.token)


@dataclass(frozen=True)
class World:
    """One user of each role, and a second organisation of each non-coordinator kind."""

    coordinator: Account
    donor: Account
    other_donor: Account
    reconditioner: Account
    other_reconditioner: Account
    association: Account
    other_association: Account


async def make_world() -> World:
    """Every role, twice where organisations matter."""
    return World(
        coordinator=await make_account(Role.COORDINATOR),
        donor=await make_account(Role.DONOR),
        other_donor=await make_account(Role.DONOR),
        reconditioner=await make_account(Role.RECONDITIONER),
        other_reconditioner=await make_account(Role.RECONDITIONER),
        association=await make_account(Role.ASSOCIATION),
        other_association=await make_account(Role.ASSOCIATION),
    )


def device(**fields: Any) -> dict[str, Any]:
    """A device payload; a laptop unless told otherwise."""
    serial = f"SN-{next(_counter):06d}"
    return {
        "category": "laptop",
        "brand": "Dell",
        "model": "Latitude 5490",
        "serial_number": serial,
        "estimated_value_xpf": 25000,
        **fields,
    }


async def make_donation(
    client: httpx.AsyncClient, donor: Account, count: int = 3, **fields: Any
) -> dict[str, Any]:
    """A donation of `count` devices registered through the API by `donor`."""
    response = await client.post(
        "/api/donations",
        json={"devices": [device(**fields) for _ in range(count)]},
        headers=donor.headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def act(
    client: httpx.AsyncClient, account: Account, tag: str, action: str, **data: Any
) -> httpx.Response:
    """Perform one action on one device through the API."""
    return await client.post(
        f"/api/devices/{tag}/transitions", json={"action": action, **data}, headers=account.headers
    )


WIPE = {"method": "purge", "tool": "nwipe 0.35", "verified": True}
SIGNER = "Jeanne Wamytan"


async def pickup_of(tag: str) -> int:
    """The id of the pickup a device was collected in."""
    row = await Device.select(Device.pickup).where(Device.tag == tag).first()
    assert row is not None and row["pickup"] is not None, tag
    return int(row["pickup"])


async def close_pickup(
    client: httpx.AsyncClient,
    account: Account,
    tag: str,
    name: str = SIGNER,
    image: str | None = None,
    lang: str | None = None,
) -> httpx.Response:
    """Close the pickup `tag` was collected in, signed for the donor by `name`."""
    signature: dict[str, Any] = {"name": name, **({"image": image} if image else {})}
    query = f"?lang={lang}" if lang else ""
    return await client.post(
        f"/api/pickups/{await pickup_of(tag)}/close{query}",
        json={"signature": signature},
        headers=account.headers,
    )


async def attest(client: httpx.AsyncClient, account: Account, tags: list[str], **data: Any) -> str:
    """Collect `tags` (one donation) and close their pickup: the number of its one DON."""
    collected = await client.post(
        "/api/transitions",
        json={"action": "collect", "tags": tags, **data},
        headers=account.headers,
    )
    assert collected.status_code == 200, collected.text
    closed = await close_pickup(client, account, tags[0])
    assert closed.status_code == 200, closed.text
    return str(closed.json()["certificate"]["number"])


async def walk_to(client: httpx.AsyncClient, world: World, tag: str, target: str) -> dict[str, Any]:
    """Walk a device with storage along the reuse path until it reaches `target`."""
    steps = [
        ("collected", world.reconditioner, "collect", {}),
        ("received", world.reconditioner, "receive", {}),
        ("wiped", world.reconditioner, "wipe", WIPE),
        ("refurbished", world.reconditioner, "refurbish", {"grade": "A"}),
        (
            "allocated",
            world.coordinator,
            "allocate",
            {"association_id": world.association.organization_id},
        ),
        (
            "delivered",
            world.association,
            "confirm_receipt",
            {"signature": {"name": "Marie Wayenece"}},
        ),
    ]
    body: dict[str, Any] = {}
    for status, account, action, data in steps:
        response = await act(client, account, tag, action, **data)
        assert response.status_code == 200, response.text
        body = response.json()
        if status == target:
            return body
    raise AssertionError(f"unknown target {target}")
