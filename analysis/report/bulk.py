"""Render many report contexts to PDF in parallel worker processes.

Nearly all of a report's time is WeasyPrint's layout, which holds the GIL, so threads do
not help; processes do. The caller builds the contexts (plain data from
:func:`~analysis.report.build_report`, cheap) and this module hands them to a pool of
processes that each run :func:`~analysis.report.render_pdf` and send the PDF bytes back.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from .render import render_pdf

__all__ = ["BulkRenderError", "render_many"]

# 'spawn', not 'fork': the caller is often a Flask command holding a SQLAlchemy engine
# (pooled PostgreSQL sockets a forked child would share and might close under the parent),
# tqdm's monitor thread and other threads whose locks a fork could copy in a held state.
# A spawned worker starts a fresh interpreter and receives nothing but the pickled
# context, at the price of importing WeasyPrint once per worker (a second or two per
# pool, not per report). 'forkserver' would be as safe but exists on Unix only.
_START_METHOD = "spawn"
# Contexts in flight per worker: enough to keep every worker busy while the parent builds
# the next context, few enough that contexts and PDFs never pile up in memory.
_PER_WORKER = 2


class BulkRenderError(RuntimeError):
    """A report of a bulk run could not be rendered; names the unit (``unit``) and
    its position in the input (``index``)."""

    def __init__(self, message: str, *, index: int, unit: str):
        super().__init__(message)
        self.index = index
        self.unit = unit


def _unit(context: dict, index: int) -> str:
    return str((context.get("cover") or {}).get("unit_code") or f"#{index}")


def _failure(error: BaseException, index: int, unit: str) -> BulkRenderError:
    return BulkRenderError(f"report of unit {unit} failed: {type(error).__name__}: {error}",
                           index=index, unit=unit)


def _workers(workers: int | None, contexts) -> int:
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if hasattr(contexts, "__len__"):
        workers = min(workers, max(len(contexts), 1))   # no idle processes for a short list
    return workers


def render_many(contexts: Iterable[dict], workers: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Render report contexts to PDF; yield ``(index, pdf_bytes)`` as each is done.

    Parameters
    ----------
    contexts : iterable of dict
        Contexts from :func:`~analysis.report.build_report`. They are read lazily, a few
        ahead of the workers, so a generator that builds them keeps memory modest.
    workers : int, optional
        Worker processes (default ``os.cpu_count()``). With 1 (or a single context) the
        reports are rendered here, in order, without a pool.

    Yields
    ------
    (int, bytes)
        The context's position in ``contexts`` and its PDF, in the order the reports
        finish (input order with one worker).

    Raises
    ------
    BulkRenderError
        When a report fails (in a worker or here); the message names the unit, the cause
        is chained. The remaining reports are cancelled.
    """
    workers = _workers(workers, contexts)
    if workers == 1:
        for index, context in enumerate(contexts):
            try:
                pdf = render_pdf(context)
            except Exception as error:
                raise _failure(error, index, _unit(context, index)) from error
            yield index, pdf
        return
    yield from _render_in_pool(iter(enumerate(contexts)), workers)


def _render_in_pool(items: Iterator[tuple[int, dict]], workers: int) -> Iterator[tuple[int, bytes]]:
    executor = ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context(_START_METHOD))
    pending: dict[Future, tuple[int, str]] = {}
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < workers * _PER_WORKER:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                index, context = item
                pending[executor.submit(render_pdf, context)] = (index, _unit(context, index))
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            # Lowest index first among those done together: closer to the input order.
            for future in sorted(done, key=lambda f: pending[f][0]):
                index, unit = pending.pop(future)
                try:
                    pdf = future.result()
                except Exception as error:          # includes a worker that died
                    raise _failure(error, index, unit) from error
                yield index, pdf
    finally:
        # On an error (or a consumer that stops early) the queued reports are dropped;
        # only those already being rendered are waited for.
        executor.shutdown(wait=True, cancel_futures=True)
