"""Totals and environmental impact, computed from the tally's sums. Pure: no web, no database.

Definitions (README, "Totals and impact"):
- Days are Pacific/Noumea days: a period runs from 00:00 in Nouméa on `from` to 24:00 on `to`.
- Each figure counts the devices that *entered* a status during the period, by the date of that
  status (`registered_at`, `collected_at`, …):
  - `devices.total`, `by_status`, `by_category`: the devices registered in the period, by their
    current status and by category (a cohort: each breakdown sums to `total`);
  - `flow`: for every status, the devices that entered it in the period (the funnel);
  - `impact.reused`: delivered in the period; `impact.recycled`: recycled in the period;
    `weight_kg`: their weight (delivered + recycled); `co2e_avoided_kg`: the method of
    `co2e_avoided` for the reused devices (a recycled device counts its weight, not CO₂e);
  - `declared_value_xpf`: the declared values of the devices collected (handed over) in the
    period, as on the donation certificates issued in it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from collecte.domain.clock import NOUMEA
from collecte.domain.errors import Invalid
from collecte.domain.impact_factors import ImpactFactors
from collecte.domain.vocabulary import Category, Status
from collecte.i18n import msg

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Days outside these years are typing mistakes (and would make month arithmetic overflow).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# The statuses of the monthly series, in the order the dashboard shows them.
MONTHLY_STATUSES = (Status.COLLECTED, Status.DELIVERED, Status.RECYCLED)


@dataclass(frozen=True)
class Period:
    """Nouméa days, both included; None leaves that side open."""

    start: date | None = None
    end: date | None = None

    def as_json(self) -> dict[str, Any]:
        """The period as the answer states it."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "timezone": "Pacific/Noumea",
        }


@dataclass(frozen=True)
class Span:
    """The tally rows of one grain whose first day lies in [first, last] (None: open)."""

    grain: str  # day, month or year
    first: date | None
    last: date | None


def _month_end(day: date) -> date:
    return _next_month(_month(day)) - timedelta(days=1)


def spans(period: Period, coarsest: str = "year") -> list[Span]:
    """The period as whole years, whole months and remaining days: at most five spans.

    `coarsest="month"` stops at months (for the monthly series).
    """
    start, end = period.start, period.end
    head: list[Span] = []
    tail: list[Span] = []

    def empty() -> bool:
        return start is not None and end is not None and start > end

    if start is not None and start.day != 1:
        last = _month_end(start) if end is None else min(end, _month_end(start))
        head.append(Span("day", start, last))
        start = last + timedelta(days=1)
    if empty():
        return head
    if end is not None and end != _month_end(end):
        first = _month(end) if start is None else max(start, _month(end))
        tail.insert(0, Span("day", first, end))
        end = first - timedelta(days=1)
    if empty():
        return head + tail
    # Now start is None or the first of a month, end None or the last day of a month.
    if coarsest == "month":
        return [*head, Span("month", start, None if end is None else _month(end)), *tail]
    if start is not None and start.month != 1:
        year_end = date(start.year, 12, 31)
        last = year_end if end is None else min(end, year_end)
        head.append(Span("month", start, _month(last)))
        start = last + timedelta(days=1)
    if empty():
        return head + tail
    if end is not None and end.month != 12:
        year_start = date(end.year, 1, 1)
        first = year_start if start is None else max(start, year_start)
        tail.insert(0, Span("month", first, _month(end)))
        end = first - timedelta(days=1)
    if empty():
        return head + tail
    return [*head, Span("year", start, None if end is None else date(end.year, 1, 1)), *tail]


# What reading one grain's rows costs, relative to a month's: a year holds a few times the
# organisations of a month, a day a tenth of them (bench/bench_totals.py, 10^6 devices: 68,864
# rows for 2025, 20,946 for a month, 1,882 for a day).
_COST = {"year": 3.3, "month": 1.0, "day": 0.09}


def _cost(span: Span) -> float:
    if span.first is None or span.last is None:
        return 100.0  # open: every year there is
    if span.grain == "year":
        units = span.last.year - span.first.year + 1
    elif span.grain == "month":
        units = (span.last.year - span.first.year) * 12 + span.last.month - span.first.month + 1
    else:
        units = (span.last - span.first).days + 1
    return units * _COST[span.grain]


def signed_spans(period: Period) -> list[tuple[Span, int]]:
    """The period as spans to add (+1) and to subtract (-1), fewest tally rows first.

    A period that starts or ends inside a year may read better as that whole year minus the
    days and months outside the period: 2025-01-15..2025-12-20 is the year 2025 minus
    01-01..01-14 and 12-21..12-31 (a year's rows and 25 days' instead of ten months' and 37 days').
    """
    start, end = period.start, period.end
    head = start is not None and (start.month, start.day) != (1, 1)
    tail = end is not None and (end.month, end.day) != (12, 31)
    best: list[tuple[Span, int]] = [(span, 1) for span in spans(period)]
    for widen_head in (False, True) if head else (False,):
        for widen_tail in (False, True) if tail else (False,):
            if not (widen_head or widen_tail):
                continue
            first = date(start.year, 1, 1) if widen_head and start else start
            last = date(end.year, 12, 31) if widen_tail and end else end
            candidate = [(span, 1) for span in spans(Period(first, last))]
            if widen_head and start and first:
                candidate += [(s, -1) for s in spans(Period(first, start - timedelta(days=1)))]
            if widen_tail and end and last:
                candidate += [(s, -1) for s in spans(Period(end + timedelta(days=1), last))]
            if sum(_cost(s) for s, _ in candidate) < sum(_cost(s) for s, _ in best):
                best = candidate
    return best


def noumea_day(moment: datetime) -> date:
    """The calendar day in Nouméa at `moment`."""
    return moment.astimezone(NOUMEA).date()


def parse_day(value: str | None, field: str) -> date | None:
    """A `YYYY-MM-DD` day, None when absent or empty; Invalid naming `field` otherwise."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            msg(
                "Le paramètre « {field} » doit être une date AAAA-MM-JJ (reçu « {value} »).",
                field=field,
                value=value,
            ),
            field,
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(
            msg(
                "Le paramètre « {field} » doit être compris entre {first} et {last} "
                "(reçu « {value} »).",
                field=field,
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
                value=value,
            ),
            field,
        )
    return day


def parse_period(start: str | None, end: str | None) -> Period:
    """The period of `?from=&to=`; Invalid naming the parameter when malformed or reversed."""
    period = Period(parse_day(start, "from"), parse_day(end, "to"))
    if period.start and period.end and period.start > period.end:
        raise Invalid(
            msg(
                "Le paramètre « from » ({start}) doit précéder ou égaler « to » ({end}).",
                start=period.start.isoformat(),
                end=period.end.isoformat(),
            ),
            "from",
        )
    return period


@dataclass(frozen=True)
class TallySum:
    """One grouped row of the tally: devices that entered `status` in the period, by `key`."""

    status: str
    dimension: str
    key: str
    devices: int
    weight_g: int = 0
    value_xpf: int = 0


@dataclass
class _Acc:
    devices: int = 0
    weight_g: int = 0
    value_xpf: int = 0


def _kg(grams: int) -> float:
    return round(grams / 1000, 3)


def _index(sums: Iterable[TallySum]) -> dict[tuple[str, str], dict[str, _Acc]]:
    """(status, dimension) → key → sums."""
    found: dict[tuple[str, str], dict[str, _Acc]] = defaultdict(lambda: defaultdict(_Acc))
    for row in sums:
        acc = found[(row.status, row.dimension)][row.key]
        acc.devices += row.devices
        acc.weight_g += row.weight_g
        acc.value_xpf += row.value_xpf
    return found


def _by(
    found: Mapping[tuple[str, str], Mapping[str, _Acc]], status: Status, dimension: str
) -> Mapping[str, _Acc]:
    return found.get((status.value, dimension), {})


def _total(found: Mapping[tuple[str, str], Mapping[str, _Acc]], status: Status) -> _Acc:
    """Everything that entered `status` (counted by category, or as `all` for some statuses)."""
    total = _Acc()
    counted = [*_by(found, status, "category").values(), *_by(found, status, "all").values()]
    for acc in counted:
        total.devices += acc.devices
        total.weight_g += acc.weight_g
        total.value_xpf += acc.value_xpf
    return total


def _party_rows(
    names: Mapping[int, str], columns: Mapping[str, Mapping[str, _Acc]], value: str | None = None
) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for column, by_key in columns.items():
        for key, acc in by_key.items():
            if not (acc.devices or acc.weight_g or acc.value_xpf):
                continue
            org = int(key)
            row = rows.setdefault(org, {"id": org, "name": names.get(org, f"#{org}")})
            row[column] = row.get(column, 0) + acc.devices
            if column == value:
                row["declared_value_xpf"] = row.get("declared_value_xpf", 0) + acc.value_xpf
            if column in ("reused", "recycled", "delivered"):
                row["weight_g"] = row.get("weight_g", 0) + acc.weight_g
    return rows


def _finish(rows: dict[int, dict[str, Any]], columns: list[str], order: list[str]) -> list[dict]:
    finished = []
    for row in rows.values():
        for column in columns:
            row.setdefault(column, 0)
        if "weight_g" in row:
            row["weight_kg"] = _kg(row.pop("weight_g"))
        finished.append(row)
    finished.sort(key=lambda r: (*(-r[c] for c in order), r["name"], r["id"]))
    return finished


@dataclass(frozen=True)
class Co2e:
    """CO₂e of some reused devices: what the method counts avoided, and the upper bound."""

    avoided_kg: float
    upper_bound_kg: float


@dataclass(frozen=True)
class Co2eEstimate:
    """The method applied to reused devices per category, and its totals."""

    by_category: dict[Category, Co2e]
    total: Co2e


def co2e_avoided(reused: Mapping[Category, int], factors: ImpactFactors) -> Co2eEstimate:
    """CO₂e avoided by reuse: devices × yearly factor × years of extra use, per category.

    The one place the method lives: the dashboard, the totals API, the impact export and the
    public counters all call it. A reused device counts because it replaces the purchase of a new
    one (the substitution assumption). The upper bound counts a new device's whole manufacturing
    footprint per reused device instead. Each category is rounded to 0.1 kg (halves up, computed
    in decimals) and each total is the sum of the rounded categories, so a printed table adds up
    to its total.
    """
    avoided: dict[Category, Decimal] = {}
    upper: dict[Category, Decimal] = {}
    for category in Category:
        count = Decimal(reused.get(category, 0))
        f = factors.categories[category]
        avoided[category] = _tenth(
            count * _exact(f.co2e_per_year_kg) * _exact(f.years_of_extra_use)
        )
        upper[category] = _tenth(count * _exact(f.manufacture_co2e_kg))
    return Co2eEstimate(
        by_category={c: Co2e(float(avoided[c]), float(upper[c])) for c in Category},
        total=Co2e(float(sum(avoided.values())), float(sum(upper.values()))),
    )


def _exact(value: float) -> Decimal:
    """The decimal the factors file wrote (27.0, 9.7), not its binary approximation."""
    return Decimal(repr(value))


def _tenth(value: Decimal) -> Decimal:
    """Rounded to 0.1 kg as a reader rounds: halves up."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def impact_of(
    found: Mapping[tuple[str, str], Mapping[str, _Acc]], factors: ImpactFactors
) -> dict[str, Any]:
    """Reused and recycled devices, their weight and the CO₂e the reused ones avoided."""
    delivered = _by(found, Status.DELIVERED, "category")
    recycled = _by(found, Status.RECYCLED, "category")
    co2e = co2e_avoided({c: delivered.get(c.value, _Acc()).devices for c in Category}, factors)
    by_category = {}
    for category in Category:
        reused = delivered.get(category.value, _Acc())
        scrapped = recycled.get(category.value, _Acc())
        by_category[category.value] = {
            "reused": reused.devices,
            "recycled": scrapped.devices,
            "weight_kg": _kg(reused.weight_g + scrapped.weight_g),
            "co2e_avoided_kg": co2e.by_category[category].avoided_kg,
            "co2e_upper_bound_kg": co2e.by_category[category].upper_bound_kg,
        }
    reused_total, recycled_total = _total(found, Status.DELIVERED), _total(found, Status.RECYCLED)
    return {
        "reused": reused_total.devices,
        "recycled": recycled_total.devices,
        "weight_kg": _kg(reused_total.weight_g + recycled_total.weight_g),
        "co2e_avoided_kg": co2e.total.avoided_kg,
        "co2e_upper_bound_kg": co2e.total.upper_bound_kg,
        "weight_reused_kg": _kg(reused_total.weight_g),
        "weight_recycled_kg": _kg(recycled_total.weight_g),
        "by_category": by_category,
    }


def summarise(
    sums: Iterable[TallySum], names: Mapping[int, str], factors: ImpactFactors
) -> dict[str, Any]:
    """The totals of a period from the tally's sums over it (see the module's definitions)."""
    found = _index(sums)
    cohort_status = _by(found, Status.REGISTERED, "status")
    cohort_category = _by(found, Status.REGISTERED, "category")
    registered = _total(found, Status.REGISTERED)
    donors = _party_rows(
        names,
        {
            "registered": _by(found, Status.REGISTERED, "donor"),
            "collected": _by(found, Status.COLLECTED, "donor"),
        },
        value="collected",
    )
    reconditioners = _party_rows(
        names,
        {
            "collected": _by(found, Status.COLLECTED, "reconditioner"),
            "reused": _by(found, Status.DELIVERED, "reconditioner"),
            "recycled": _by(found, Status.RECYCLED, "reconditioner"),
        },
    )
    associations = _party_rows(names, {"delivered": _by(found, Status.DELIVERED, "association")})
    return {
        "devices": {
            "total": registered.devices,
            "by_status": {s.value: cohort_status.get(s.value, _Acc()).devices for s in Status},
            "by_category": {
                c.value: cohort_category.get(c.value, _Acc()).devices for c in Category
            },
        },
        "flow": {s.value: _total(found, s).devices for s in Status},
        "donors": _finish(
            donors,
            ["registered", "collected", "declared_value_xpf"],
            ["collected", "registered"],
        ),
        "reconditioners": _finish(
            reconditioners, ["collected", "reused", "recycled"], ["collected", "reused"]
        ),
        "associations": _finish(associations, ["delivered"], ["delivered"]),
        "impact": impact_of(found, factors),
        "declared_value_xpf": _total(found, Status.COLLECTED).value_xpf,
    }


def public_counters(sums: Iterable[TallySum], factors: ImpactFactors) -> dict[str, Any]:
    """The programme's public counters: no organisation, only devices, kilograms and CO₂e."""
    found = _index(sums)
    impact = impact_of(found, factors)
    return {
        "collected": _total(found, Status.COLLECTED).devices,
        "delivered": impact["reused"],
        "recycled": impact["recycled"],
        "co2e_avoided_kg": impact["co2e_avoided_kg"],
        "weight_kg": impact["weight_kg"],
    }


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def monthly_series(
    counted: Iterable[tuple[date, str, int]], period: Period, today: date
) -> list[dict[str, Any]]:
    """Collected, delivered and recycled devices per Nouméa month, every month of the period.

    `counted` holds (day or first day of a month, status, devices); an open start begins at the
    first month with data, an open end stops at the current month.
    """
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, status, devices in counted:
        counts[_month(day)][status] += devices
    first = period.start or min(counts, default=today)
    last = period.end or max([today, *counts])
    series = []
    month = _month(first)
    while month <= last:
        row = counts.get(month, {})
        series.append(
            {
                "month": month.strftime("%Y-%m"),
                **{s.value: row.get(s.value, 0) for s in MONTHLY_STATUSES},
            }
        )
        month = _next_month(month)
    return series


def target_progress(year: int, target: int, collected: int) -> dict[str, Any]:
    """The yearly target (devices collected in the Nouméa calendar year) and how far along."""
    return {
        "year": year,
        "devices": target,
        "progress": collected,
        "percent": round(100 * collected / target, 1) if target > 0 else None,
    }


def factors_json(factors: ImpactFactors) -> dict[str, Any]:
    """The factors in use, with their sources (`co2e_kg`: what one reused device avoids)."""
    return {
        category.value: {
            "co2e_kg": round(f.co2e_kg, 3),
            "co2e_source": f.co2e_per_year_source,
            "co2e_per_year_kg": f.co2e_per_year_kg,
            "co2e_per_year_source": f.co2e_per_year_source,
            "years_of_extra_use": f.years_of_extra_use,
            "years_source": f.years_source,
            "co2e_upper_bound_kg": f.manufacture_co2e_kg,
            "co2e_upper_bound_source": f.manufacture_source,
            "weight_kg": f.weight_kg,
            "weight_source": f.weight_source,
        }
        for category, f in factors.categories.items()
    }
