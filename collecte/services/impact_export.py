"""The impact export: CO₂e avoided by reuse per category, with the method and its sources.

The figures are the totals service's own (`collecte.domain.impact.co2e_avoided`), so the file,
the dashboard, the totals API and the public counters never disagree. It opens in a spreadsheet
set to French like the devices export: UTF-8 with a byte-order mark, `;`, decimal comma, no cell
a spreadsheet would run as a formula. Below the table come the method, the substitution
assumption and the upper bound, stated in words, and the period.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.impact import noumea_day
from collecte.domain.vocabulary import Category
from collecte.i18n import N_, gettext
from collecte.services import totals
from collecte.services.exports import decimal_fr, neutralise

HEADERS = [
    N_("Catégorie"),
    N_("Réemployés"),
    N_("Recyclés"),
    N_("Poids (kg)"),
    N_("kg CO₂e évités par an"),
    N_("Années d’usage supplémentaire"),
    N_("CO₂e évité (kg)"),
    N_("Borne haute : empreinte de fabrication d’un appareil neuf (kg)"),
    N_("Source du facteur annuel"),
    N_("Source des années"),
    N_("Source de la borne haute"),
]


def filename(period: dict[str, Any], today: date) -> str:
    """The name the browser saves the export under: the period's days, else today's."""
    if period["from"] or period["to"]:
        return (
            f"collecte-impact-{period['from'] or 'debut'}-{period['to'] or today.isoformat()}.csv"
        )
    return f"collecte-impact-{today.isoformat()}.csv"


def rows(figures: dict[str, Any], language: str) -> list[list[str]]:
    """The lines of the export from the totals' figures (`totals.totals`)."""
    impact, factors = figures["impact"], figures["factors"]
    lines = [[gettext(language, header) for header in HEADERS]]
    for category in Category:
        row, factor = impact["by_category"][category.value], factors[category.value]
        lines.append(
            [
                category.value,
                str(row["reused"]),
                str(row["recycled"]),
                decimal_fr(row["weight_kg"]),
                decimal_fr(factor["co2e_per_year_kg"]),
                decimal_fr(factor["years_of_extra_use"]),
                decimal_fr(row["co2e_avoided_kg"], 1),
                decimal_fr(row["co2e_upper_bound_kg"], 1),
                factor["co2e_per_year_source"],
                factor["years_source"],
                factor["co2e_upper_bound_source"],
            ]
        )
    lines.append(
        [
            gettext(language, N_("Total")),
            str(impact["reused"]),
            str(impact["recycled"]),
            decimal_fr(impact["weight_kg"]),
            "",
            "",
            decimal_fr(impact["co2e_avoided_kg"], 1),
            decimal_fr(impact["co2e_upper_bound_kg"], 1),
            "",
            "",
            "",
        ]
    )
    method = (
        figures["method_en"] if language == "en" and figures["method_en"] else figures["method"]
    )
    period = figures["period"]
    lines += [
        [],
        [gettext(language, N_("Méthode")), method],
        [
            gettext(language, N_("Période")),
            period["from"] or gettext(language, N_("depuis le début")),
            period["to"] or gettext(language, N_("jusqu’à aujourd’hui")),
            period["timezone"],
        ],
    ]
    return [[neutralise(cell) for cell in line] for line in lines]


async def impact_csv(
    principal: Principal,
    start: str | None,
    end: str | None,
    yearly_target: int,
    language: str = "fr",
) -> tuple[str, bytes]:
    """The file name and the impact of the period as CSV (coordinators, as `totals.totals`)."""
    figures = await totals.totals(principal, start, end, yearly_target)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows(figures, language))
    return filename(figures["period"], noumea_day(now())), buffer.getvalue().encode("utf-8")
