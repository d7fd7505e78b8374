"""The report renderer's stand-ins for WeasyPrint's (and pydyf's) own code, installed and given back
(analysis/report/patching.py)."""

import pydyf
import pytest
from weasyprint.css import ComputedStyle
from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import Box
from weasyprint.layout import block, percent, table
from weasyprint.svg import SVG
from weasyprint.text import line_break

from analysis.report import (compression, font_keys, normal_flow, render,  # noqa: F401
                             style_values, svg_text, teardown, text_layouts, used_lengths)
from analysis.report.patching import Replacement
from tests.analysis.standins import without

STANDINS = [
    (used_lengths, [percent, block, table], "resolve_percentages"),
    (style_values, [ComputedStyle], "__missing__"),
    (text_layouts, [line_break.Layout], "setup"),
    (font_keys, [line_break], "_font_style_cache_key"),
    (normal_flow, [Box], "is_in_normal_flow"),
    (teardown, [Document], "_build_layout_context"),
    (svg_text, [SVG], "draw_node"),
    (compression, [pydyf], "zlib"),
]


@pytest.mark.parametrize("module, holders, name", STANDINS,
                         ids=[module.__name__.rsplit(".", 1)[-1] for module, *_ in STANDINS])
def test_render_installs_each_and_uninstall_gives_weasyprint_its_own_back(module, holders, name):
    ours = module._REPLACEMENT.replacement
    assert module.installed()
    assert all(vars(holder)[name] is ours for holder in holders)
    assert module.install() and module.install()               # idempotent
    original = module._REPLACEMENT.original
    assert original is not None and original is not ours
    with without(module):
        assert not module.installed()
        assert all(vars(holder)[name] is original for holder in holders)
    assert all(vars(holder)[name] is ours for holder in holders)


def test_a_replacement_of_what_is_not_there_changes_nothing():
    replacement = Replacement("no_such_function", ("weasyprint.layout.percent",),
                              lambda: None)
    assert replacement.install() is False
    assert not hasattr(percent, "no_such_function") and replacement.original is None
    replacement.uninstall()                                   # nothing to give back
    missing = Replacement("setup", ("weasyprint.no_such_module:Layout",), lambda: None)
    assert missing.install() is False and not missing.installed()
