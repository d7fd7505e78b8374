"""A rendered document taken apart after its PDF is written (analysis/report/teardown.py):
reference counting frees it, the collector finds little, the PDF is unchanged."""

import gc

import pytest
import weasyprint

from analysis.report import render_pdf, teardown
from tests.analysis.test_report_pdf import _context, data  # noqa: F401  (a module fixture)
from tests.concurrency import run_in_threads


def _cyclic_garbage_after(render_once) -> int:
    """How many objects a render leaves that only the garbage collector can free."""
    gc.collect()
    gc.disable()
    try:
        render_once()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        gc.collect()
    return found


def test_the_collector_finds_a_tenth_of_what_it_found(data, monkeypatch):  # noqa: F811
    context = _context(data)
    render_pdf(context)                                   # fonts and caches made
    ours = _cyclic_garbage_after(lambda: render_pdf(context))
    monkeypatch.setattr(teardown, "tear_down", lambda document: None)
    theirs = _cyclic_garbage_after(lambda: render_pdf(context))
    assert theirs > 30_000                                # a province's report
    assert ours < theirs / 8


def test_the_pdf_is_the_same_and_the_thread_keeps_no_context(data, monkeypatch):  # noqa: F811
    context = _context(data)
    ours = render_pdf(context)
    assert getattr(teardown._local, "context", None) is None
    monkeypatch.setattr(teardown, "tear_down", lambda document: None)
    assert render_pdf(context) == ours


def test_a_failed_render_keeps_no_context(data, monkeypatch):  # noqa: F811
    def fail(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(weasyprint.document.Document, "write_pdf", fail)
    with pytest.raises(RuntimeError, match="drawing failed"):
        render_pdf(_context(data))
    assert getattr(teardown._local, "context", None) is None


def test_a_document_it_cannot_take_apart_is_left_to_the_collector():
    document = weasyprint.HTML(string="<p>một</p>").render()
    teardown._local.context = object()                    # not a layout context
    teardown.tear_down(document)                          # logged, not raised
    assert teardown._local.context is None
    assert document.write_pdf().startswith(b"%PDF")       # what was not cut still works


def test_each_thread_tears_down_its_own_document(data):  # noqa: F811
    context = _context(data)
    reference = render_pdf(context)
    results, errors = run_in_threads(lambda: [render_pdf(context) for _ in range(2)], 2)
    out = [pdf for pdfs in results for pdf in pdfs]
    assert errors == [] and len(out) == 4
    assert all(pdf == reference for pdf in out)


def test_other_weasyprint_documents_in_the_process_are_not_kept():
    weasyprint.HTML(string="<p>một mã QR</p>").write_pdf()   # as the code sheets render
    assert getattr(teardown._local, "context", None) is None
