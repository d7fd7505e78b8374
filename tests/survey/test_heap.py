"""survey.heap: what is alive at start-up is kept out of the collector's scans."""

import gc

import pytest

from survey.heap import freeze_long_lived


@pytest.fixture
def unfreeze():
    yield
    gc.unfreeze()          # back to the oldest generation, as for the rest of the suite


def test_objects_alive_at_the_call_are_frozen_and_later_ones_are_not(unfreeze):
    kept = [object() for _ in range(3)]          # a tracked container, alive at the call
    # How many are frozen (other threads may free some of them again at any moment).
    assert freeze_long_lived() > 0
    tracked = {id(o) for o in gc.get_objects()}
    assert id(kept) not in tracked               # frozen: no generation scans it
    later = [object()]
    assert id(later) in {id(o) for o in gc.get_objects()}


def test_garbage_alive_only_through_a_cycle_is_collected_before_freezing(unfreeze):
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    freeze_long_lived()
    assert gone() is None                        # collected, not frozen for life
