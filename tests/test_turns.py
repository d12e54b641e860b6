"""Playground scripts take turns (ui.turns): first come first served, re-entrant, given away while waiting."""

import threading
import time

from ui.turns import TURN_PAGES, TURNS, Turns, script_turn


def test_turns_are_given_in_the_order_asked_and_one_at_a_time():
    turns = Turns(wait_seconds=10)
    order, inside, most_inside = [], [0], [0]
    gate = threading.Lock()

    def page(name: str) -> None:
        with turns.turn():
            with gate:
                inside[0] += 1
                most_inside[0] = max(most_inside[0], inside[0])
            order.append(name)
            time.sleep(0.02)
            with gate:
                inside[0] -= 1

    with turns.turn():  # the first page holds the turn while the others line up
        threads = []
        for index in range(6):
            thread = threading.Thread(target=page, args=(f"page {index}",))
            thread.start()
            threads.append(thread)
            while turns.waiting < index + 1:  # each is in line before the next asks
                time.sleep(0.001)
    for thread in threads:
        thread.join(10)
    assert order == [f"page {index}" for index in range(6)]
    assert most_inside[0] == 1 and turns.overdue == 0 and turns.waiting == 0


def test_a_fragment_inside_its_page_takes_the_turn_again():
    turns = Turns(wait_seconds=10)
    with turns.turn():
        with turns.turn():
            pass
        other = threading.Thread(target=lambda: turns.turn().__enter__())
        other.start()
        other.join(0.2)
        assert other.is_alive()  # still the page's turn after its fragment's ended
    other.join(10)
    assert not other.is_alive()


def test_a_waiting_page_gives_its_turn_away_and_gets_it_back():
    turns = Turns(wait_seconds=10)
    ran = threading.Event()

    def other_page() -> None:
        with turns.turn():
            ran.set()

    with turns.turn():
        thread = threading.Thread(target=other_page)
        thread.start()
        while turns.waiting < 1:
            time.sleep(0.001)
        with turns.released():
            assert ran.wait(10)  # the other page ran while this one waited
        thread.join(10)
        # This page has its turn again: a third page waits for it.
        third = threading.Thread(target=other_page)
        ran.clear()
        third.start()
        assert not ran.wait(0.2)
    third.join(10)
    assert ran.is_set()


def test_a_turn_kept_too_long_does_not_stop_the_others():
    turns = Turns(wait_seconds=0.1)
    done = threading.Event()

    def other_page() -> None:
        with turns.turn():
            done.set()

    with turns.turn():
        thread = threading.Thread(target=other_page)
        thread.start()
        assert done.wait(5)  # went ahead after 0.1 s
        thread.join(5)
    assert turns.overdue == 1 and turns.waiting == 0
    with turns.turn():  # free again
        pass


def test_only_the_playground_takes_turns():
    assert set(TURN_PAGES) == {"", "playground"}
    me = threading.get_ident()
    with script_turn("lecture"):
        assert TURNS._holder != me
    for path in TURN_PAGES:
        with script_turn(path):
            assert TURNS._holder == me
    assert TURNS._holder is None
