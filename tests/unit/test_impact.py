"""The pure parts of totals: periods, their split into tally spans, and the CSV cells."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from collecte.domain.errors import Invalid
from collecte.domain.impact import (
    Period,
    Span,
    monthly_series,
    parse_period,
    signed_spans,
    spans,
    target_progress,
)
from collecte.services.exports import decimal_fr, local_time, neutralise

WINDOW = (date(2022, 11, 1), date(2027, 2, 28))


def _days_of(span: Span) -> set[date]:
    """Every day the tally rows of `span` count, within WINDOW."""
    days = set()
    day = WINDOW[0]
    while day <= WINDOW[1]:
        bucket = {
            "day": day,
            "month": day.replace(day=1),
            "year": day.replace(month=1, day=1),
        }[span.grain]
        if (span.first is None or span.first <= bucket) and (
            span.last is None or bucket <= span.last
        ):
            days.add(day)
        day += timedelta(days=1)
    return days


def _covered(period: Period, coarsest: str) -> list[date]:
    covered: list[date] = []
    for span in spans(period, coarsest):
        covered += sorted(_days_of(span))
    return covered


def _expected(period: Period) -> list[date]:
    first, last = period.start or WINDOW[0], period.end or WINDOW[1]
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize("coarsest", ["year", "month"])
def test_spans_count_every_day_of_the_period_once(coarsest: str) -> None:
    rng = random.Random(6)
    edges = [date(2024, 1, 1), date(2024, 12, 31), date(2024, 2, 29), date(2025, 3, 1)]
    candidates = edges + [
        date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365)) for _ in range(40)
    ]
    periods = [Period(None, None)]
    periods += [Period(d, None) for d in candidates[:12]]
    periods += [Period(None, d) for d in candidates[:12]]
    for _ in range(60):
        a, b = sorted(rng.sample(candidates, 2))
        periods.append(Period(a, b))
    periods += [Period(d, d) for d in edges]

    for period in periods:
        assert _covered(period, coarsest) == _expected(period), period


def test_signed_spans_count_every_day_of_the_period_once_and_nothing_else() -> None:
    rng = random.Random(16)
    candidates = [date(2024, 1, 1), date(2024, 12, 31), date(2024, 2, 29), date(2025, 1, 2)]
    candidates += [date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365)) for _ in range(40)]
    periods = [Period(None, None)]
    periods += [Period(d, None) for d in candidates[:12]]
    periods += [Period(None, d) for d in candidates[:12]]
    periods += [Period(*sorted(rng.sample(candidates, 2))) for _ in range(80)]
    periods += [Period(d, d) for d in candidates[:4]]

    for period in periods:
        counted: Counter[date] = Counter()
        for span, way in signed_spans(period):
            for day in _days_of(span):
                counted[day] += way
        assert +counted == Counter(_expected(period)), period
        assert -counted == Counter(), period  # nothing subtracted that was not added


def test_a_period_inside_one_year_reads_the_year_minus_its_edges() -> None:
    assert signed_spans(Period(date(2025, 1, 15), date(2025, 12, 20))) == [
        (Span("year", date(2025, 1, 1), date(2025, 1, 1)), 1),
        (Span("day", date(2025, 1, 1), date(2025, 1, 14)), -1),
        (Span("day", date(2025, 12, 21), date(2025, 12, 31)), -1),
    ]
    # Two months read as two months, not as a year minus ten.
    assert signed_spans(Period(date(2025, 3, 1), date(2025, 4, 30))) == [
        (Span("month", date(2025, 3, 1), date(2025, 4, 1)), 1)
    ]


def test_a_calendar_year_reads_year_rows_only() -> None:
    assert spans(Period(date(2025, 1, 1), date(2025, 12, 31))) == [
        Span("year", date(2025, 1, 1), date(2025, 1, 1))
    ]
    assert spans(Period(date(2025, 3, 1), date(2025, 5, 31))) == [
        Span("month", date(2025, 3, 1), date(2025, 5, 1))
    ]
    assert spans(Period(date(2025, 1, 15), date(2026, 2, 3))) == [
        Span("day", date(2025, 1, 15), date(2025, 1, 31)),
        Span("month", date(2025, 2, 1), date(2025, 12, 1)),
        Span("month", date(2026, 1, 1), date(2026, 1, 1)),
        Span("day", date(2026, 2, 1), date(2026, 2, 3)),
    ]
    assert spans(Period()) == [Span("year", None, None)]


def test_parse_period_names_the_parameter() -> None:
    assert parse_period("2025-01-01", " 2025-12-31 ") == Period(
        date(2025, 1, 1), date(2025, 12, 31)
    )
    assert parse_period(None, "") == Period()
    for start, end, field in (
        ("2025-1-01", None, "from"),
        (None, "2025-02-29", "to"),
        ("2025-02-01", "2025-01-31", "from"),
        ("1999-12-31", None, "from"),
        (None, "9999-12-31", "to"),
    ):
        with pytest.raises(Invalid) as raised:
            parse_period(start, end)
        assert raised.value.field == field


def test_monthly_series_fills_the_gaps() -> None:
    counted = [
        (date(2025, 1, 31), "collected", 2),
        (date(2025, 3, 1), "delivered", 1),
        (date(2025, 3, 1), "collected", 4),
    ]
    series = monthly_series(counted, Period(date(2025, 1, 10), date(2025, 3, 5)), date(2026, 1, 1))
    assert series == [
        {"month": "2025-01", "collected": 2, "delivered": 0, "recycled": 0},
        {"month": "2025-02", "collected": 0, "delivered": 0, "recycled": 0},
        {"month": "2025-03", "collected": 4, "delivered": 1, "recycled": 0},
    ]
    assert [m["month"] for m in monthly_series([], Period(), date(2026, 2, 10))] == ["2026-02"]


def test_target_progress() -> None:
    assert target_progress(2025, 900, 450) == {
        "year": 2025,
        "devices": 900,
        "progress": 450,
        "percent": 50.0,
    }
    assert target_progress(2025, 0, 3)["percent"] is None


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+33 687", "'+33 687"),
        ("-12", "'-12"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Dell = HP", "Dell = HP"),
        ("", ""),
    ],
)
def test_formulas_are_neutralised(cell: str, shown: str) -> None:
    assert neutralise(cell) == shown


def test_numbers_and_dates_read_the_french_way() -> None:
    assert decimal_fr(1.6) == "1,6"
    assert decimal_fr(0.09) == "0,09"
    assert decimal_fr(10.0) == "10"
    assert decimal_fr(None) == ""
    assert local_time(datetime(2025, 12, 31, 12, 59, tzinfo=UTC)) == "31/12/2025 23:59"
    assert local_time(None) == ""
