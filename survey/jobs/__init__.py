"""The task queue: Dramatiq, on Redis in production, embedded by default.

One setting chooses: ``JOBS_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``) sends jobs
through Redis to the workers started with ``flask --app wsgi worker`` on any number of
machines; empty (the default), each web process keeps its queue in memory (Dramatiq's
``StubBroker``) and runs it in worker threads of its own, so the demo needs no server.

With Redis a message stays in the worker's acknowledgement set until the job returns
(Dramatiq acknowledges late); a worker that dies (even ``kill -9``) stops sending
heartbeats, and after ``JOBS_HEARTBEAT_TIMEOUT`` ms another worker puts its messages back
on the queue. Jobs are written to run twice safely (``survey.services.jobs``).

Each app gets its own broker (``app.extensions["sipas_jobs"]``), so tests can give each
app a Redis namespace of its own.
"""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker
from flask import Flask, current_app

__all__ = ["JobQueue", "WarmRenderer", "init_app", "send", "queue"]

QUEUE_NAME = "sipas"
# How long an idle consumer sleeps at most between looks at the queue. It also applies
# while the worker is busy with its one prefetched message: the next is fetched only when
# the consumer wakes and sees the last one acknowledged. bench/bench_queue_gap.py,
# messages of 0.7 s (about a report): Dramatiq's default (1 s) left a median gap of
# 296 ms between two of them, 100 ms 51 ms, 20 ms 12 ms (under 2 % of a report). An idle
# worker then looks at Redis 50 times a second, a cheap script call each.
WORKER_TIMEOUT_MS = 20


class WarmRenderer(dramatiq.Middleware):
    """Each worker thread loads the report renderer's fonts and parsed stylesheet when it
    starts: they are kept per thread (Pango's font map is not shared across threads), so
    a warm-up in another thread would leave the thread's first report to load them."""

    def after_worker_thread_boot(self, broker, thread) -> None:
        from analysis import report

        report.warm_up()


class JobQueue:
    """The app's broker, its actors and (embedded) its in-process worker."""

    def __init__(self, app: Flask):
        self.app = app
        self.url = app.config.get("JOBS_BROKER_URL") or ""
        self.embedded = not self.url
        self.broker = self._broker()
        self.actors: dict[str, dramatiq.Actor] = {}
        self._worker: dramatiq.Worker | None = None
        self._lock = threading.Lock()
        from . import tasks

        tasks.register(self)

    def _broker(self) -> dramatiq.Broker:
        if self.embedded:
            broker = StubBroker()
        else:
            from dramatiq.brokers.redis import RedisBroker

            config = self.app.config
            broker = RedisBroker(url=self.url, namespace=config["JOBS_NAMESPACE"],
                                 heartbeat_timeout=int(config["JOBS_HEARTBEAT_TIMEOUT"]),
                                 maintenance_chance=int(config["JOBS_MAINTENANCE_CHANCE"]))
        broker.add_middleware(WarmRenderer())
        return broker

    def actor(self, name: str, fn, *, time_limit_ms: int) -> None:
        """Register ``fn`` (which gets an app context) as actor ``name`` on this broker."""
        app = self.app

        def run(*args):
            with app.app_context():
                fn(*args)

        run.__name__ = name
        # Failures are recorded on the job (and retried by the official), not retried
        # blindly: a report that fails on the data fails again.
        self.actors[name] = dramatiq.actor(run, actor_name=name, queue_name=QUEUE_NAME,
                                           broker=self.broker, max_retries=0,
                                           time_limit=time_limit_ms)

    def send(self, name: str, *args) -> None:
        """Put one message on the queue (starting the embedded worker when needed)."""
        if self.embedded:
            self.start_worker(int(self.app.config.get("JOBS_EMBEDDED_THREADS", 1)))
        self.actors[name].send(*args)

    def start_worker(self, threads: int = 1, *, prefetch: int = 1) -> dramatiq.Worker:
        """Start a worker on this broker in this process (once); returns it."""
        with self._lock:
            if self._worker is None:
                worker = dramatiq.Worker(self.broker, worker_threads=threads,
                                         worker_timeout=WORKER_TIMEOUT_MS)
                # One message ahead per worker: the rest stay on the queue for the others.
                worker.queue_prefetch = prefetch
                worker.start()
                self._worker = worker
            return self._worker

    def join(self, timeout_ms: int = 120_000) -> None:
        """Wait until the queue is empty and the in-process worker idle (tests, commands)."""
        self.broker.join(QUEUE_NAME, timeout=timeout_ms)
        if self._worker is not None:
            self._worker.join()

    def stop(self) -> None:
        """Stop the in-process worker, if any."""
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None


def init_app(app: Flask) -> None:
    """Create the app's queue (no connection is made until a message is sent)."""
    app.extensions["sipas_jobs"] = JobQueue(app)


def queue() -> JobQueue:
    """The current app's queue."""
    return current_app.extensions["sipas_jobs"]


def send(name: str, *args) -> None:
    """Send a message to actor ``name`` on the current app's queue."""
    queue().send(name, *args)
