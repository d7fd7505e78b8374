"""The report's HTML read by expat (analysis/report/html_tree.py), against WeasyPrint's
own HTML5 parser (tinyhtml5): the same tree, the same PDF, and the fallback."""

import copy

import pytest
import tinyhtml5
import weasyprint

from analysis.report import AssetFetcher, build_report, html_tree, render_html, render_pdf
from analysis.report.render import _BASE_URL
from tests.analysis.test_report_pdf import WAVE, _context, data  # noqa: F401  (a module fixture)


def _html5(html: str):
    return tinyhtml5.parse(html, namespace_html_elements=False)


def _same_tree(a, b, path="") -> list[str]:
    """Where two element trees differ (tag, attributes, text, tail, children)."""
    here = f"{path}/{a.tag}"
    if (a.tag, a.attrib) != (b.tag, b.attrib):
        return [f"{here}: {a.tag} {a.attrib} != {b.tag} {b.attrib}"]
    diffs = [f"{here}.{part}: {getattr(a, part)!r} != {getattr(b, part)!r}"
             for part in ("text", "tail") if (getattr(a, part) or None) != (getattr(b, part) or None)]
    if len(a) != len(b):
        return [*diffs, f"{here}: {len(a)} children != {len(b)}"]
    for x, y in zip(a, b):
        diffs += _same_tree(x, y, here)
    return diffs


@pytest.fixture
def no_html5(monkeypatch):
    """Fail if WeasyPrint's HTML5 parser is used."""
    assert html_tree.compatible()                 # (which itself parses a sample with it)

    def refuse(*args, **kwargs):
        raise AssertionError("tinyhtml5 was used")
    monkeypatch.setattr(weasyprint.tinyhtml5, "parse", refuse)


def _contexts(data):  # noqa: F811
    return {
        "province, compared": _context(data),
        "english": _context(data, lang="en"),
        "hostile name, no comparison": _context(data, unit="MH-BAD", compare=False),
        "no responses": _context(data, unit="MH-EMPTY"),
        "no result": build_report(None, "MH", questionnaire=data["q"], units=data["units"],
                                  lang="vi", wave=WAVE),
    }


def test_this_weasyprint_is_one_the_module_knows():
    assert html_tree.compatible()
    assert set(vars(weasyprint.HTML(string="<p>x</p>"))) == html_tree.ATTRIBUTES


def test_every_kind_of_report_is_read_without_the_html5_parser(data, no_html5):  # noqa: F811
    for name, context in _contexts(data).items():
        parsed = html_tree.document(render_html(context), url_fetcher=AssetFetcher(),
                                    base_url=_BASE_URL)
        assert parsed.base_url == _BASE_URL and parsed.media_type == "print", name
        assert parsed.etree_element.find("body") is not None


def test_the_trees_are_equal(data):  # noqa: F811
    for name, context in _contexts(data).items():
        html = render_html(context)
        parsed = html_tree.document(html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
        assert _same_tree(parsed.etree_element, _html5(html)) == [], name


def test_the_whitespace_html5_moves_is_moved():
    html = ("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<title>t</title>\n</head>\n"
            "<body>\n<p>một</p>\n<section>hai</section>\n</body>\n</html>")
    parsed = html_tree.document(html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    assert _same_tree(parsed.etree_element, _html5(html)) == []
    empty = "<html><head></head><body>\n</body>\n</html>"
    parsed = html_tree.document(empty, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    assert _same_tree(parsed.etree_element, _html5(empty)) == []


def test_the_pdf_is_the_same_byte_for_byte(data, monkeypatch):  # noqa: F811
    context = _context(data)
    fast = render_pdf(context)
    monkeypatch.setattr(html_tree, "compatible", lambda: False)
    assert render_pdf(context) == fast


@pytest.mark.parametrize("html", [
    # A control character XML does not allow (from a unit's name, say).
    "<html><head></head><body><p>Xã \x01Một</p></body></html>",
    # Not well formed: HTML5 closes the <b>, XML refuses.
    "<html><head></head><body><p><b>đậm</p></body></html>",
    # A void element not closed, as HTML writes it.
    "<html><head><meta charset=\"utf-8\"></head><body><p>x</p></body></html>",
    # Text before <head>, which HTML5 moves into the body.
    "<html>chữ<head></head><body><p>x</p></body></html>",
    # No <head>: HTML5 makes one.
    "<html><body><p>x</p></body></html>",
    # A <base> changes the base URL: HTML.__init__ resolves it, in the head or not.
    "<html><head><base href=\"sipas-asset:other/\"/></head><body><p>x</p></body></html>",
    "<html><head></head><body><base href=\"sipas-asset:other/\"/><p>x</p></body></html>",
])
def test_what_expat_cannot_read_as_html5_would_goes_to_weasyprint(html):
    parsed = html_tree.document(html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    reference = weasyprint.HTML(string=html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    assert _same_tree(parsed.etree_element, reference.etree_element) == []
    assert parsed.base_url == reference.base_url
    assert parsed.write_pdf()                               # and it renders


def test_a_control_character_in_a_unit_name_still_renders(data):  # noqa: F811
    units = data["units"].copy()
    units.loc[units["code"] == "MH-X01", "name"] = "Phường \x01Minh\x0bHoà"
    context = build_report(data["result"], "MH-X01", questionnaire=data["q"], units=units,
                           lang="vi", wave=WAVE)
    html = render_html(context)
    assert "\x01" in html                        # kept by the context, refused by expat
    parsed = html_tree.document(html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    assert _same_tree(parsed.etree_element, _html5(html)) == []
    pdf = render_pdf(context)
    assert pdf.startswith(b"%PDF")


def test_an_unknown_weasyprint_gets_its_own_parser(monkeypatch):
    monkeypatch.setattr(html_tree, "ATTRIBUTES", html_tree.ATTRIBUTES | {"something_new"})
    html_tree.compatible.cache_clear()
    try:
        assert not html_tree.compatible()
        used = []
        original = tinyhtml5.parse
        monkeypatch.setattr(weasyprint.tinyhtml5, "parse",
                            lambda *a, **k: used.append(1) or original(*a, **k))
        html_tree.document("<html><head></head><body></body></html>",
                           url_fetcher=AssetFetcher(), base_url=_BASE_URL)
        assert used == [1]
    finally:
        monkeypatch.undo()
        html_tree.compatible.cache_clear()
    assert html_tree.compatible()


def test_the_tree_is_not_shared_between_documents():
    html = "<html><head></head><body><p>x</p></body></html>"
    a = html_tree.document(html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    b = html_tree.document(html, url_fetcher=AssetFetcher(), base_url=_BASE_URL)
    assert a.etree_element is not b.etree_element
    copy.deepcopy(a.etree_element)                          # a plain ElementTree tree
