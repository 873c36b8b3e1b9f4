"""Request bodies as msgspec Structs: typed in the OpenAPI schema, checked before any service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar.params import PathParameter
from msgspec import UNSET, Meta, Struct, UnsetType

from collecte.domain.actions import MAX_WEIGHT_KG
from collecte.domain.device_input import MAX_VALUE_XPF
from collecte.domain.passwords import MAX_LENGTH, MIN_LENGTH
from collecte.domain.text import FILLED_LINE, SINGLE_LINE, SINGLE_MAX, WHITESPACE
from collecte.domain.vocabulary import Category

# Database integer keys are 32-bit; a larger id is bad input, not a database error.
MAX_ID = 2_147_483_647
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
# PostgreSQL text cannot hold NUL characters: refuse them at the door, naming the field.
Text = Annotated[str, Meta(pattern=r"^[^\x00]*$")]
# One line: no line break or control character (a name, a brand, a serial); several lines
# (an address, notes) are `Text`, their number of lines bounded by the services.
# The limits are the services' (collecte.domain.text, organization_input, accounts), so that
# what the schema admits is accepted and what it refuses is refused. Decoding enforces only the
# one-line rule; the rest is documented here and checked by the services, whose refusals name
# the rule broken ("obligatoire", "dépasse 200 caractères", "RIDET"…).


def documented(pattern: str = SINGLE_LINE, **rules: Any) -> dict[str, Any]:
    """The services' own `rules` for a text (JSON Schema keywords: pattern, minLength,
    maxLength), for the document; decoding checks only `SINGLE_LINE`."""
    return {"extra": {"pattern": pattern, **rules}}


Line = Annotated[str, Meta(pattern=SINGLE_LINE, extra_json_schema=documented(maxLength=SINGLE_MAX))]
# A required line keeps a character once stripped.
FilledLine = Annotated[
    str,
    Meta(
        pattern=SINGLE_LINE,
        extra_json_schema=documented(FILLED_LINE, minLength=1, maxLength=SINGLE_MAX),
    ),
]
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_ADDRESS_PART = rf"[^@{WHITESPACE}{_CONTROL}]+"
_EMAIL = rf"{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}"
EMAIL_PATTERN = rf"^[{WHITESPACE}]*{_EMAIL}[{WHITESPACE}]*$"
Email = Annotated[
    str,
    Meta(
        pattern=SINGLE_LINE, extra_json_schema=documented(EMAIL_PATTERN, minLength=5, maxLength=254)
    ),
]
OptionalEmail = Annotated[
    str,
    Meta(
        pattern=SINGLE_LINE,
        extra_json_schema=documented(
            rf"^[{WHITESPACE}]*(?:{_EMAIL})?[{WHITESPACE}]*$", maxLength=254
        ),
    ),
]
# Digits with dots or spaces (organization_input.RIDET), once stripped; blank is absent.
RIDET_PATTERN = rf"^[{WHITESPACE}]*(?:[0-9][0-9 .]{{4,12}}[0-9.])?[{WHITESPACE}]*$"
Ridet = Annotated[
    str, Meta(pattern=SINGLE_LINE, extra_json_schema=documented(RIDET_PATTERN, maxLength=20))
]
ShortName = Annotated[str, Meta(pattern=SINGLE_LINE, extra_json_schema=documented(maxLength=60))]
Phone = Annotated[str, Meta(pattern=SINGLE_LINE, extra_json_schema=documented(maxLength=40))]
City = Annotated[str, Meta(pattern=SINGLE_LINE, extra_json_schema=documented(maxLength=100))]
# Passwords are taken as typed (no stripping). A new one: 12 to 256 characters and not a common
# one (collecte.domain.passwords, whose refusals say what to do); decoding refuses only a NUL.
NO_NUL = r"^[^\x00]*$"
NewPassword = Annotated[
    str,
    Meta(
        pattern=NO_NUL,
        extra_json_schema=documented(NO_NUL, minLength=MIN_LENGTH, maxLength=MAX_LENGTH),
    ),
]
# The schema names the values the services accept, so clients (and fuzzers) send valid ones;
# tests/unit/test_schema_vocabulary.py keeps them equal to the domain's.
Kind = Literal["donor", "reconditioner", "association", "coordinator"]
Lang = Literal["fr", "en"]
CertificateKindName = Literal["donation", "erasure", "recycling", "receipt"]
PickupStatusName = Literal["open", "closed"]
# A Nouméa day as the totals read it (impact.parse_day): YYYY-MM-DD between 2000-01-01 and
# 2100-12-31, a real calendar day; blank is absent.
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
_DAY = rf"(?:(?:20[0-9]{{2}}|2100)-{_MONTH_DAY}|20(?:[02468][048]|[13579][26])-02-29)"
DAY_PATTERN = rf"^[{WHITESPACE}]*(?:{_DAY})?[{WHITESPACE}]*$"
# A tag read leniently (collecte.domain.tags.parse): 8 characters of Crockford base32, I, L
# and O read as 1, 1 and 0 (so every letter but U), case, spaces, dashes, dots and underscores
# forgiven. The last character is a check character, which no pattern can say: a tag with a
# wrong one is answered 422 `invalid_tag`, naming the field.
_TAG_SEPARATORS = rf"[{WHITESPACE}\-_.]*"
_TAG_BODY = rf"{_TAG_SEPARATORS}(?:[0-9A-TV-Za-tv-z]{_TAG_SEPARATORS}){{8}}"
TAG_PATTERN = rf"^{_TAG_BODY}$"
# Where a label's code is accepted: the bare tag, or the URL of its QR (…/d/TAG, any case).
_URL_CHARACTER = rf"[^{WHITESPACE}\x00-\x1f\x7f-\x9f]"
_URL = rf"{_URL_CHARACTER}*/[dD]/{_TAG_BODY}/?(?:[?#]{_URL_CHARACTER}*)?"
CODE_PATTERN = rf"^[{WHITESPACE}]*(?:{_URL}|{_TAG_BODY})[{WHITESPACE}]*$"
TAG_DESCRIPTION = (
    "A device tag: 7K3P-9QXM (case, spaces, dashes, dots and underscores forgiven; I, L, O "
    "read as 1, 1, 0). The last character is a check character: a wrong one is answered 422 "
    "with extra.code `invalid_tag`."
)
Tag = Annotated[str, PathParameter(pattern=TAG_PATTERN, description=TAG_DESCRIPTION)]
# Decoding refuses only NUL; the service reads the code and says what is wrong with it.
Code = Annotated[
    str,
    Meta(
        pattern=r"^[^\x00]*$",
        description="A tag or the URL of its label (…/d/7K3P9QXM); a wrong check character "
        "is answered 422 with extra.code `invalid_tag`",
        extra_json_schema={"extra": {"pattern": CODE_PATTERN, "maxLength": SINGLE_MAX}},
    ),
]
# Litestar documents a list's bounds but not its items' constraints: they are given here.
CODE_ITEMS = {
    "type": "string",
    "maxLength": SINGLE_MAX,
    "pattern": CODE_PATTERN,
    "description": "A tag or the URL of its label; a wrong check character is answered 422",
}


def codes(max_length: int | None = None) -> Any:
    """A non-empty list of label codes, at most `max_length`, each checked like `Code`."""
    return Annotated[
        list[Code],
        Meta(
            min_length=1, max_length=max_length, extra_json_schema={"extra": {"items": CODE_ITEMS}}
        ),
    ]


# A device's numbers, bounded as collecte.domain.device_input bounds them (the latest year is
# next year's, as of the start of the process).
Year = Annotated[int, Meta(ge=1970, le=date.today().year + 1)]
# Litestar leaves a bound of 0 out of the document (it reads as "no bound"): restated.
ValueXpf = Annotated[int, Meta(ge=0, le=MAX_VALUE_XPF, extra_json_schema={"extra": {"minimum": 0}})]
WeightKg = Annotated[
    float, Meta(gt=0, le=MAX_WEIGHT_KG, extra_json_schema={"extra": {"exclusiveMinimum": 0}})
]

# The canonical categories; the services also read a category's French name, case forgiven.
CategoryName = Annotated[
    str,
    Meta(extra_json_schema={"extra": {"enum": [category.value for category in Category]}}),
]


# A code of an authenticator app: six digits, the spaces or dash some apps show forgiven.
TotpCode = Annotated[
    str,
    Meta(
        pattern=r"^[ -]*(?:[0-9][ -]*){6}$",
        max_length=32,
        description="The 6-digit code the authenticator app shows now (spaces forgiven)",
    ),
]
# At sign-in, blank is absent (a form's empty field): answered 401 `totp_required` when needed.
SignInTotpCode = Annotated[
    str,
    Meta(
        pattern=r"^[ -]*(?:(?:[0-9][ -]*){6})?$",
        max_length=32,
        description="With the second factor on: the 6-digit code the authenticator app shows "
        "now (spaces forgiven); missing or blank: 401 totp_required, wrong or used: 401 bad_totp",
    ),
]


class LoginIn(Struct):
    """Credentials; `totp` is the app's code of an account with the second factor on."""

    email: Text
    password: Text
    totp: SignInTotpCode | None = None


class TotpCodeIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """A code of the authenticator app (confirming the enrolment, or turning it off)."""

    code: TotpCode


class OrganizationIn(Struct, kw_only=True):
    """A new organisation; `kind` is donor, reconditioner, association or coordinator."""

    name: FilledLine
    kind: Kind
    short_name: ShortName | None = None
    ridet: Ridet | None = None
    email: OptionalEmail | None = None
    phone: Phone | None = None
    address: Text | None = None
    city: City | None = None
    language: Lang | None = None


class TreatmentOperatorIn(Struct, kw_only=True):
    """A treatment operator to add to the list recyclings choose from."""

    name: FilledLine
    authorization_number: (
        Annotated[str, Meta(pattern=SINGLE_LINE, extra_json_schema=documented(maxLength=100))]
        | None
    ) = None
    address: Text | None = None


class TreatmentOperatorEdit(Struct, kw_only=True, forbid_unknown_fields=True):
    """The details to change, at least one (absent: unchanged; null clears an optional one);
    `is_active: false` takes the operator out of the choices without deleting it."""

    name: FilledLine | UnsetType = UNSET
    authorization_number: (
        Annotated[str, Meta(max_length=100, pattern=SINGLE_LINE)] | UnsetType | None
    ) = UNSET
    address: Text | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


# A password typed to prove who one is (the current one): any, up to a bound.
Password = Annotated[str, Meta(pattern=NO_NUL, max_length=1024)]


class PasswordChangeIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """The current password and the new one (at least 12 characters, not a common one)."""

    current: Password
    new: NewPassword


class PasswordResetIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """The secret of a reset link (the end of its address) and the new password."""

    token: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,100}$")]
    new: NewPassword


class UserPatchIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """What the coordination may change on an account."""

    is_active: bool | None = None
    full_name: Line | None = None
    organization_id: Annotated[
        Id | None,
        Meta(
            description="Move the account to this organisation: its role becomes the "
            "organisation's kind, and its sessions end"
        ),
    ] = None


class UserIn(Struct, kw_only=True):
    """A new user of an organisation."""

    email: Email
    password: NewPassword
    organization_id: Id
    full_name: Line | None = None


class DeviceIn(Struct, kw_only=True):
    """A device to register; `tag` binds a scanned blank label."""

    category: CategoryName
    brand: Line | None = None
    model: Line | None = None
    serial_number: Line | None = None
    year: Year | None = None
    has_storage: bool | None = None
    condition: Line | None = None
    estimated_value_xpf: ValueXpf | None = None
    weight_kg: WeightKg | None = None
    tag: Text | None = None  # read leniently: a scanner's trailing line break is forgiven


class DonationIn(Struct, kw_only=True):
    """A donation and its devices; coordinators name the donor."""

    donor_id: Id | None = None
    pickup_address: Text | None = None
    notes: Text | None = None
    devices: list[DeviceIn] = []


class ScanIn(Struct):
    """A scanned label: its URL or the bare tag."""

    code: Code


class DeviceEdit(Struct, kw_only=True, forbid_unknown_fields=True):
    """The device fields to correct (absent: unchanged; null clears an optional one)."""

    category: CategoryName | UnsetType = UNSET
    brand: Line | UnsetType | None = UNSET
    model: Line | UnsetType | None = UNSET
    serial_number: Line | UnsetType | None = UNSET
    year: Year | UnsetType | None = UNSET
    has_storage: bool | UnsetType | None = UNSET
    condition: Line | UnsetType | None = UNSET
    estimated_value_xpf: ValueXpf | UnsetType | None = UNSET
    weight_kg: WeightKg | UnsetType | None = UNSET


class OrganizationEdit(Struct, kw_only=True, forbid_unknown_fields=True):
    """The details to correct, at least one (absent: unchanged; null clears an optional one)."""

    name: FilledLine | UnsetType = UNSET
    short_name: Annotated[str, Meta(max_length=60, pattern=SINGLE_LINE)] | UnsetType | None = UNSET
    ridet: Annotated[str, Meta(max_length=20, pattern=RIDET_PATTERN)] | UnsetType | None = UNSET
    email: OptionalEmail | UnsetType | None = UNSET
    phone: Annotated[str, Meta(max_length=40, pattern=SINGLE_LINE)] | UnsetType | None = UNSET
    address: Text | UnsetType | None = UNSET
    city: Annotated[str, Meta(max_length=100, pattern=SINGLE_LINE)] | UnsetType | None = UNSET
    language: Lang | UnsetType = UNSET
