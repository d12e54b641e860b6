"""ThinnedHistory.fill_in: whole snapshots replace the slim ones by step, the newest included."""

from collections import namedtuple

from dropviz.metric_log import ThinnedHistory

Item = namedtuple("Item", "step whole")


def slim(step):
    return Item(step, False)


def whole(step):
    return Item(step, True)


def test_fill_in_replaces_a_kept_newest_once():
    history = ThinnedHistory(8)
    for step in (1, 2, 3):
        history.append(slim(step))
    history.fill_in({3: whole(3), 1: whole(1)})
    assert history.items() == (whole(1), slim(2), whole(3))
    assert len(history) == 3
    history.append(slim(4))  # the replaced newest stays in the kept list
    assert history.items() == (whole(1), slim(2), whole(3), slim(4))


def test_fill_in_replaces_a_newest_that_is_not_kept():
    history = ThinnedHistory(4)
    for step in range(1, 8):
        history.append(slim(step))
    # capacity 4 halves the kept list at steps 4 and 7 (stride 4 from then on): 7 shows only as the newest
    assert [item.step for item in history.items()] == [1, 5, 7]
    history.fill_in({7: whole(7), 5: whole(5), 3: whole(3)})
    assert history.items() == (slim(1), whole(5), whole(7))
    assert len(history) == 3
    history.append(slim(8))  # off-stride: 8 is the newest now, and the replaced 7 is gone with it
    assert history.items() == (slim(1), whole(5), slim(8))


def test_fill_in_on_an_empty_history_does_nothing():
    history = ThinnedHistory(4)
    history.fill_in({1: whole(1)})
    assert history.items() == () and len(history) == 0
