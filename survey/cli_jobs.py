"""``flask --app wsgi worker``: run queue workers for the background jobs on this machine."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads. PDF layout holds the GIL: start one worker process per "
                   "core instead of more threads.")
@with_appcontext
def worker_command(threads: int) -> None:
    """Run the background jobs sent through JOBS_BROKER_URL until stopped (SIGTERM, Ctrl-C)."""
    queue = current_app.extensions["sipas_jobs"]
    if queue.embedded:
        raise click.ClickException(
            "JOBS_BROKER_URL is not set: jobs run inside the web server (the embedded "
            "queue). Set it (e.g. redis://127.0.0.1:6379/0) on the web servers and here.")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # The chart fonts' metrics (per process) loaded before the first message, not during
    # it, then kept out of the garbage collector's scans with the rest of the loaded app.
    # The report fonts and stylesheet are per thread: each worker thread loads its own when
    # it starts (survey.jobs.WarmRenderer); this thread renders nothing.
    from analysis.report import charts

    from .heap import freeze_long_lived

    charts.warm_up()
    freeze_long_lived()
    queue.start_worker(threads)
    click.echo(f"Worker running ({threads} thread(s)) on {queue.url.split('@')[-1]}, "
               f"namespace {current_app.config['JOBS_NAMESPACE']}.", err=True)
    stop.wait()
    # Messages being worked on are finished (or, past the timeout, go back to the queue).
    queue.stop()


def init_app(app: Flask) -> None:
    """Register the worker command on ``app``."""
    app.cli.add_command(worker_command)
