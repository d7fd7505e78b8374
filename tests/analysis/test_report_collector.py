"""analysis.report.collector: the young generation's threshold is raised while a report
renders, shared by concurrent renders, and always given back."""

import gc
import threading

import pytest

from analysis.report.collector import RENDER_THRESHOLD, fewer_collections


@pytest.fixture
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_the_threshold_is_raised_inside_and_restored_after(default_thresholds):
    with fewer_collections():
        assert gc.get_threshold() == (RENDER_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_an_error_inside_still_restores_the_threshold(default_thresholds):
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("layout failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_or_a_disabled_collector_is_left_as_it_is():
    saved = gc.get_threshold()
    try:
        for setting in ((RENDER_THRESHOLD * 4, 5, 5), (0, 10, 10)):
            gc.set_threshold(*setting)
            with fewer_collections():
                assert gc.get_threshold() == setting
            assert gc.get_threshold() == setting
    finally:
        gc.set_threshold(*saved)


def test_concurrent_renders_share_the_raise_and_the_last_one_restores(default_thresholds):
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with fewer_collections():
            second_in.set()
            first_out.wait(5)
            seen["after first left"] = gc.get_threshold()
        seen["after both left"] = gc.get_threshold()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after first left": (RENDER_THRESHOLD, 10, 10),
                    "after both left": (700, 10, 10)}
