"""Queue worker threads load the report renderer's per-thread state when they start."""

import threading

import analysis.report
from analysis.report import render


def test_each_worker_thread_loads_the_renderer_when_it_starts(app, monkeypatch):
    real_warm_up = analysis.report.warm_up
    seen: list[tuple[threading.Thread, bool]] = []
    both = threading.Event()

    def recording_warm_up():
        real_warm_up()
        # The fonts and parsed stylesheet are this thread's (render._local) from now on.
        seen.append((threading.current_thread(), getattr(render._local, "styles", None) is not None))
        if len(seen) == 2:
            both.set()

    monkeypatch.setattr(analysis.report, "warm_up", recording_warm_up)
    queue = app.extensions["sipas_jobs"]
    queue.start_worker(2)
    try:
        assert both.wait(30), "the worker threads did not warm up"
    finally:
        queue.stop()
    threads = [thread for thread, _ in seen]
    assert len(set(threads)) == 2 and threading.main_thread() not in threads
    assert all(loaded for _, loaded in seen)
