"""TurnWindow: the pure bookkeeping behind the bounded transcript."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from proto_trainer_tui.ui.turn_window import TurnWindow


@dataclass(frozen=True)
class T:
    turn_order: int
    text: str = ""


def rows(offset: int, limit: int, total: int) -> list[T]:
    return [T(n + 1) for n in range(offset, min(total, offset + limit))]


def orders(window: TurnWindow) -> list[int]:
    return [t.turn_order for t in window.turns]


def test_scrolling_back_through_a_long_session_keeps_the_window_bounded():
    total = 10_000
    window = TurnWindow(capacity=150, page=50)
    window.reset(max(0, total - 50), rows(total - 50, 50, total), total)
    assert (window.start, window.end, window.at_end, window.at_start) == (9_950, 10_000, True, False)
    while (request := window.older()) is not None:
        before, page = len(window.turns), rows(*request, total)
        assert window.add_older(page) == max(0, before + len(page) - 150)
        assert len(window.turns) <= 150
        assert orders(window) == list(range(window.start + 1, window.end + 1))
    assert window.at_start and orders(window) == list(range(1, 151))
    while (request := window.newer()) is not None:
        window.add_newer(rows(*request, total))
        assert len(window.turns) <= 150 and orders(window) == list(range(window.start + 1, window.end + 1))
    assert window.at_end and window.end == total


def test_a_short_first_page_is_fetched_exactly():
    window = TurnWindow(capacity=10, page=4)
    window.reset(3, rows(3, 4, 7), 7)
    assert window.older() == (0, 3)
    assert window.newer() is None


def test_live_turns_update_in_place_append_and_trim():
    window = TurnWindow(capacity=3, page=2)
    window.reset(0, [], 0)
    assert window.upsert(T(1, "hel")) == ("appended", 0)
    assert window.upsert(T(1, "hello")) == ("updated", 0)
    assert [t.text for t in window.turns] == ["hello"]
    for order in (2, 3):
        window.upsert(T(order))
    assert window.upsert(T(4)) == ("appended", 1)
    assert orders(window) == [2, 3, 4] and (window.start, window.total) == (1, 4)


def test_live_turns_while_the_reader_is_scrolled_back_are_only_counted():
    window = TurnWindow(capacity=4, page=2)
    window.reset(0, rows(0, 2, 10), 10)
    assert window.upsert(T(11)) == ("outside", 0)
    assert window.total == 11 and orders(window) == [1, 2]
    window.reset(8, rows(8, 2, 10), 10)
    assert window.upsert(T(3)) == ("outside", 0)  # a change to a turn not loaded


def test_page_must_fit_the_capacity():
    with pytest.raises(ValueError):
        TurnWindow(capacity=10, page=20)
