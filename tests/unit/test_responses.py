"""The response structs that spell out the lifecycle's enums field by field keep up with them:
a status or category added to the domain must appear in the answers' schema too."""

from __future__ import annotations

import msgspec
import pytest

from collecte.domain.vocabulary import EDIT_EVENT, REGISTER_EVENT, Action, Category, Status
from collecte.web.responses import Answer, DeviceDatesOut, EventAction, TokenOut
from collecte.web.totals_responses import (
    CategoryCountsOut,
    FactorsOut,
    ImpactByCategoryOut,
    StatusCountsOut,
)


@pytest.mark.parametrize(
    ("struct", "values"),
    [
        (DeviceDatesOut, [s.value for s in Status]),
        (StatusCountsOut, [s.value for s in Status]),
        (CategoryCountsOut, [c.value for c in Category]),
        (ImpactByCategoryOut, [c.value for c in Category]),
        (FactorsOut, [c.value for c in Category]),
    ],
)
def test_one_field_per_enum_value_in_the_enums_order(
    struct: type[msgspec.Struct], values: list[str]
) -> None:
    assert list(struct.__struct_fields__) == values


def test_an_event_is_a_registration_an_action_or_a_correction() -> None:
    expected = {REGISTER_EVENT, EDIT_EVENT, *(a.value for a in Action)}
    assert {a.value for a in EventAction} == expected
    assert len(EventAction) == len(expected)


def test_a_key_without_a_field_is_refused_not_dropped() -> None:
    token = {
        "access_token": "t",
        "token_type": "bearer",
        "expires_in": 60,
        "role": "donor",
        "organization_id": 1,
        "user_id": 2,
        "password_change_required": False,
    }
    assert issubclass(TokenOut, Answer)
    assert msgspec.convert(token, TokenOut).role == "donor"

    with pytest.raises(msgspec.ValidationError, match="unknown field `secret`"):
        msgspec.convert({**token, "secret": "x"}, TokenOut)
