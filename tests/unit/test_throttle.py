"""The per-address window that limits public lookups; pure, no database."""

from __future__ import annotations

from collecte.web import throttle
from collecte.web.throttle import RequestWindow


class Clock:
    """A clock the test moves on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_admits_exactly_its_count_then_says_how_long_to_wait() -> None:
    clock = Clock()
    window = RequestWindow(3, 60, clock)

    admitted = [window.admit("192.0.2.1") for _ in range(3)]
    clock.now = 20.2
    refused = window.admit("192.0.2.1")

    assert admitted == [None, None, None]
    assert refused == 40  # rounded up: never 0, never early
    assert window.admit("192.0.2.2") is None  # another address counts apart


def test_the_window_ends_a_window_after_its_first_request() -> None:
    clock = Clock()
    window = RequestWindow(2, 60, clock)
    window.admit("a")
    clock.now = 59.0
    window.admit("a")

    clock.now = 59.9
    assert window.admit("a") == 1
    clock.now = 60.0
    assert window.admit("a") is None  # a new window, opened now
    assert window.admit("a") is None
    assert window.admit("a") == 60


def test_memory_stays_bounded_under_a_flood_of_addresses(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(throttle, "MAX_ADDRESSES", 10)
    clock = Clock()
    window = RequestWindow(1, 60, clock)
    window.admit("kept")
    clock.now = 61.0
    for i in range(30):
        window.admit(f"flood-{i}")

    assert len(window._seen) <= 10
    assert window.admit("flood-29") == 60  # the latest are the ones remembered
