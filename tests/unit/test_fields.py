"""The words a refusal says for a field: the forms' labels, never the API's names."""

from __future__ import annotations

import pytest

from collecte.domain import organization_input
from collecte.domain.actions import STRUCTS, fields_of
from collecte.domain.corrections import DEVICE_FIELDS
from collecte.domain.device_input import FIELDS
from collecte.domain.errors import Invalid
from collecte.domain.fields import FIELD_LABELS, field_label
from collecte.domain.text import single_line
from collecte.domain.validation import describe
from collecte.domain.vocabulary import Action
from collecte.i18n import catalog_messages, say


@pytest.mark.parametrize(
    ("path", "french", "english"),
    [
        ("reason", "Motif", "Reason"),
        ("tags", "Étiquettes", "Tags"),
        ("reconditioner_id", "Atelier", "Workshop"),
        ("devices[3].brand", "Marque (appareil 4)", "Brand (device 4)"),
        ("media[0].kind", "Type de support (support 1)", "Medium type (medium 1)"),
        ("organization.kind", "Rôle", "Role"),
        ("signature.name", "Nom du signataire", "Name of the signer"),
    ],
)
def test_a_field_is_said_by_its_label_in_the_readers_language(
    path: str, french: str, english: str
) -> None:
    assert say("fr", "{field}", field=field_label(path)) == french
    assert say("en", "{field}", field=field_label(path)) == english


def test_a_field_without_a_label_keeps_its_name() -> None:
    assert field_label("nothing_known") == "nothing_known"
    assert field_label(None) == ""


def test_every_field_people_fill_in_has_a_label_and_its_english() -> None:
    names = {spec.name for struct in STRUCTS.values() for spec in fields_of(struct)}
    media = next(spec for spec in fields_of(STRUCTS[Action.WIPE]) if spec.name == "media")
    names |= {f"media.{column.name}" for column in media.columns}
    names |= set(FIELDS) | set(DEVICE_FIELDS) | set(organization_input.EDITABLE)
    missing = sorted(name for name in names if name not in FIELD_LABELS)
    assert missing == []
    untranslated = sorted(set(FIELD_LABELS.values()) - set(catalog_messages("en")))
    assert untranslated == []


def test_refusals_name_the_field_by_its_label() -> None:
    with pytest.raises(Invalid) as caught:
        single_line("brand", "a" * 201)
    assert caught.value.message == "Le champ « Marque » dépasse 200 caractères."
    assert caught.value.field == "brand"
    problem = describe("Object missing required field `result` - at `$.media[1]`")
    assert problem.field == "media[1].result"
    assert str(problem.sentence) == "Le champ « Résultat (support 2) » est obligatoire."
    assert problem.sentence.render("en") == "The field “Result (medium 2)” is required."
