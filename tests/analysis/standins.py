"""Shared checks for the report renderer's stand-ins for WeasyPrint's own code
(analysis/report/patching.py): run without one, and compare a report's PDF both ways."""

from contextlib import contextmanager

from analysis.report import render_pdf


@contextmanager
def without(*modules):
    """WeasyPrint's own functions in place of ``modules``' stand-ins inside the block."""
    for module in modules:
        module.uninstall()
    try:
        yield
    finally:
        for module in modules:
            assert module.install()


def assert_same_report_pdf(context, *modules) -> None:
    """The report's PDF is the same, byte for byte, with and without ``modules``."""
    ours = render_pdf(context)
    with without(*modules):
        assert render_pdf(context) == ours
