"""The PDF report read back: Vietnamese text, the engine's numbers, PDF/UA, escaping."""

import gc
import io
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from analysis.report import AssetFetcher, ReportError, build_report, render_html, render_pdf
from analysis.report.collector import RENDER_THRESHOLD
from analysis.report.render import draw_charts
from analysis.report.formatting import fmt_number, fmt_percent
from analysis.report.texts import TEXTS
from analysis.sipas import SipasOptions, compute_sipas
from analysis.synthetic import synthetic_responses
from tests.pdf_accessibility import assert_pdfua
from questionnaires import load_bundled

FIELDS = ["TP", "DD", "XD"]
HOSTILE = '<script>alert(1)</script><img src="file:///etc/passwd"> Xã Độc Hại'
CHILDREN = [("MH-STP", "Sở Tư pháp", "department"), ("MH-SYT", "Sở Y tế", "department")] + [
    (f"MH-X{i:02d}", name, "commune") for i, name in enumerate(
        ["Phường Minh Hoà", "Xã Tân Phú", "Xã Đông Sơn", "Xã Thạch Bàn", "Xã Phú Mỹ",
         "Xã Long Hải", "Xã Yên Thế", "Xã Cát Tiên", "Xã Sơn Hà"], 1)] + [
    ("MH-BAD", HOSTILE, "commune")]
WAVE = {"code": "2026", "name": "Khảo sát SIPAS năm 2026", "name_en": "SIPAS survey 2026",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31"}
PREVIOUS = {"code": "2025", "name": "Khảo sát SIPAS năm 2025", "name_en": "SIPAS survey 2025"}


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def data():
    q = load_bundled("sipas")
    units = pd.DataFrame(
        [("MH", "Tỉnh Minh Hoà", "Minh Hoa Province", "province", None)]
        + [(c, n, None, k, "MH") for c, n, k in CHILDREN]
        + [("MH-EMPTY", "Xã Không Phiếu", None, "commune", "MH")],
        columns=["code", "name", "name_en", "kind", "parent_code"])
    answering = pd.DataFrame({"unit_code": [c for c, _, _ in CHILDREN]})
    pops = pd.DataFrame([(c, f, 400) for c, _, _ in CHILDREN for f in FIELDS],
                        columns=["unit_code", "service_field", "dossiers"])
    prev = compute_sipas(synthetic_responses(q, answering, 2400, seed=11, fields=FIELDS),
                         q, units, pops, wave="2025")
    result = compute_sipas(synthetic_responses(q, answering, 3000, seed=12, fields=FIELDS),
                           q, units, pops, previous=prev, wave="2026")
    return {"q": q, "units": units, "result": result, "prev": prev}


def _context(data, unit="MH", lang="vi", compare=True):
    return build_report(data["result"], unit, questionnaire=data["q"], units=data["units"],
                        lang=lang, compare=data["prev"] if compare else None, wave=WAVE,
                        compare_wave=PREVIOUS if compare else None)


@pytest.fixture(scope="module")
def vi_report(data):
    fetcher = AssetFetcher()
    ctx = _context(data)
    return {"ctx": ctx, "pdf": render_pdf(ctx, fetcher=fetcher), "fetcher": fetcher}


@pytest.fixture(scope="module")
def en_report(data):
    ctx = _context(data, lang="en")
    return {"ctx": ctx, "pdf": render_pdf(ctx)}


def _structure(node, tags=None, alts=None):
    """The structure types and the /Alt texts of the figures in a tagged PDF's tree."""
    tags = set() if tags is None else tags
    alts = [] if alts is None else alts
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for kid in node:
            _structure(kid, tags, alts)
    elif hasattr(node, "get"):
        if node.get("/S"):
            tags.add(str(node["/S"]))
        if "/Alt" in node:
            alts.append(str(node["/Alt"]))
        if node.get("/K") is not None:
            _structure(node["/K"], tags, alts)
    return tags, alts


def _plain(obj) -> bool:
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_plain(v) for v in obj)
    return obj is None or isinstance(obj, (str, int, float, bool))


def test_the_context_is_plain_data(vi_report):
    assert _plain(vi_report["ctx"])


def test_vietnamese_text_is_extractable_and_correct(vi_report):
    text = _flat(_text(vi_report["pdf"]))
    for phrase in ["Báo cáo kết quả đo lường sự hài lòng", "Chỉ số hài lòng về sự phục vụ hành chính",
                   "Tỉnh Minh Hoà", "Xã Đông Sơn", "Phường Minh Hoà", "Xã Thạch Bàn", "Sở Tư pháp",
                   "Mục lục", "Phụ lục: Phương pháp", "Tiếp cận dịch vụ hành chính công",
                   "Khảo sát SIPAS năm 2026", "từ 01/01/2026 đến 31/12/2026"]:
        assert phrase in text, phrase
    assert "\ufffd" not in text          # no replacement characters (missing glyphs)
    assert "Ã" not in text and "áº" not in text   # no UTF-8 read as Latin-1


def test_page_numbers_and_running_header(vi_report):
    text = _text(vi_report["pdf"])
    pages = len(PdfReader(io.BytesIO(vi_report["pdf"])).pages)
    assert 4 <= pages <= 30
    assert f"Trang 2/{pages}" in text and f"Trang {pages}/{pages}" in text
    assert "Trang 1/" not in text                   # the cover has no footer
    assert "Đợt khảo sát: Khảo sát SIPAS năm 2026" in text


def test_the_contents_give_each_section_its_page(vi_report):
    """Each entry of the contents reads "N. Title page" on one line, and that page holds the
    section's heading."""
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(vi_report["pdf"])).pages]
    assert pages[1].startswith("Mục lục")
    entries = re.findall(r"^(\d+\. .+?) (\d+)$", pages[1], flags=re.M)
    assert len(entries) >= 8 and entries[0][0] == "1. Kết quả chung"
    for title, page in entries:
        assert title in _flat(pages[int(page) - 1]), (title, page)


def test_printed_numbers_are_the_engines(vi_report, data):
    text = _flat(_text(vi_report["pdf"]))
    idx = data["result"].indices
    overall = idx[(idx.unit_code == "MH") & (idx.kind == "overall")].iloc[0]
    assert fmt_percent(overall.value, "vi") in text
    assert f"{fmt_number(overall.ci_low, 'vi')}–{fmt_number(overall.ci_high, 'vi')}%" in text
    crit = idx[(idx.unit_code == "MH") & (idx.id == "staff_polite")].iloc[0]
    assert re.search(re.escape(fmt_number(crit.value, "vi")) + " "
                     + re.escape(fmt_number(crit.ci_low, "vi")), text)
    child = idx[(idx.unit_code == "MH-X03") & (idx.kind == "overall")].iloc[0]
    assert f"Xã Đông Sơn {fmt_number(child.value, 'vi')}" in text
    ind = data["result"].indicators
    late = ind[(ind.unit_code == "MH") & (ind.id == "trips_3plus")].iloc[0]
    assert fmt_number(late.value, "vi") in text
    assert "," in fmt_number(late.value, "vi")


def test_rank_changes_are_printed_with_arrows(vi_report, data):
    text = _flat(_text(vi_report["pdf"]))
    rk = data["result"].rankings
    rows = rk[(rk.parent_code == "MH") & (rk.kind == "overall") & rk["rank_change"].notna()]
    moved = rows[rows.rank_change != 0].iloc[0]
    word = "tăng" if moved.rank_change > 0 else "giảm"
    arrow = "↑" if moved.rank_change > 0 else "↓"
    assert f"{arrow} {word} {abs(int(moved.rank_change))} bậc" in text
    ctx_row = next(r for r in vi_report["ctx"]["ranking"]["rows"] if r["code"] == moved.unit_code)
    assert ctx_row["rank"] == int(moved["rank"])


def test_small_samples_are_marked(vi_report):
    ctx = vi_report["ctx"]
    small = [i for i in ctx["indicators"] if i["small"]]
    assert small, "the rare indicators (extra payment) rest on few cases"
    text = _flat(_text(vi_report["pdf"]))
    assert f"△ {small[0]['label']}" in text
    assert "chưa đủ mẫu" in text
    assert small[0]["value_text"] == "chưa đủ mẫu" and small[0]["ci_text"] == "–"


def test_no_english_template_text_in_the_vietnamese_report(vi_report):
    text = _flat(_text(vi_report["pdf"]))
    for key, variants in TEXTS.items():
        for fragment in re.split(r"\{[a-z_]+\}", variants["en"]):
            fragment = fragment.strip(" .:;,()")
            if len(fragment) >= 6 and fragment not in variants["vi"]:
                assert fragment not in text, (key, fragment)
    for word in ["Page", "Contents", "Satisfaction", "Ranking", "Appendix", "Previous", "Element",
                 "Criterion", "Indicator", "Questionnaire", "confidence"]:
        assert not re.search(rf"\b{word}\b", text), word


def test_the_english_report_is_english(en_report):
    text = _flat(_text(en_report["pdf"]))
    assert "Satisfaction Index of Public Administrative Services" in text
    assert "Appendix: Methodology" in text
    for key in ["report_title", "sec_criteria", "sec_ranking", "toc_title", "method_ci_title"]:
        assert TEXTS[key]["vi"] not in text, key
    assert re.search(r"\d+\.\d\d%", text) and not re.search(r"\d+,\d\d%", text)
    assert "Page 2/" in text


def test_pdf_ua_flags(vi_report):
    reader = PdfReader(io.BytesIO(vi_report["pdf"]))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] in (True, "true")
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "vi"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] in (True, "true")
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfuaid" in xmp
    assert reader.metadata.title.startswith("Báo cáo chỉ số hài lòng – Tỉnh Minh Hoà")
    tags, alts = _structure(root["/StructTreeRoot"])
    assert {"/Document", "/H1", "/H2", "/Table", "/TH", "/TD", "/Link", "/Figure"} <= tags
    assert len(alts) == 2
    assert alts[0].startswith("Biểu đồ thanh ngang: chỉ số hài lòng của 5 yếu tố")


def test_fonts_come_from_the_package_and_are_embedded(vi_report):
    served = vi_report["fetcher"].served
    assert "sipas-asset:fonts/NotoSans-Regular.subset.ttf" in served
    assert "sipas-asset:fonts/NotoSans-Bold.subset.ttf" in served
    reader = PdfReader(io.BytesIO(vi_report["pdf"]))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] \
                if "/DescendantFonts" in font else font.get("/FontDescriptor")
            assert "/FontFile2" in desc or "/FontFile3" in desc or "/FontFile" in desc
            fonts.add(str(font["/BaseFont"]))
    # Fonts carry the @font-face family names: every glyph, charts included, was set in
    # the packaged fonts, none in a font the machine happens to have.
    names = {f.split("+", 1)[-1] for f in fonts}
    assert {"SIPAS-Sans", "SIPAS-Sans-Bold"} <= names
    assert all(n.startswith("SIPAS-") for n in names), names


def _xobjects(resources):
    for xobject in ((resources or {}).get("/XObject") or {}).values():
        xobject = xobject.get_object()
        yield xobject
        yield from _xobjects(xobject.get("/Resources"))


def test_charts_are_vector_with_vietnamese_labels_and_alt_text(vi_report):
    html = render_html(vi_report["ctx"])
    # Each chart is an image of the SVG drawn for this report, with its description as alt.
    assert html.count('<img src="sipas-chart:') == 2 and "<svg" not in html
    assert 'alt="Biểu đồ thanh ngang: chỉ số hài lòng của 5 yếu tố' in html
    assert {"sipas-chart:elements", "sipas-chart:drivers"} <= set(vi_report["fetcher"].served)
    svg = str(draw_charts(vi_report["ctx"])["elements"])
    assert svg.startswith("<svg") and "<image" not in svg
    assert "<title>Biểu đồ thanh ngang: chỉ số hài lòng của 5 yếu tố" in svg
    assert "Tiếp cận dịch vụ hành chính công" in svg
    assert "SIPAS Sans" in svg                       # labels set in the embedded font
    # Drawn as vectors: no raster image anywhere in the PDF.
    reader = PdfReader(io.BytesIO(vi_report["pdf"]))
    subtypes = {str(x.get("/Subtype")) for page in reader.pages
                for x in _xobjects(page.get("/Resources"))}
    assert "/Form" in subtypes and "/Image" not in subtypes


def test_hostile_unit_names_are_escaped_and_nothing_is_fetched(vi_report):
    html = render_html(vi_report["ctx"])
    assert "<script>alert" not in html and '<img src="file' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    fetcher = vi_report["fetcher"]
    assert fetcher.refused == []
    assert all(u.startswith(("sipas-asset:fonts/", "sipas-chart:")) for u in fetcher.served)
    text = _flat(_text(vi_report["pdf"]))
    assert "<script>alert(1)</script>" in text        # shown as text, not run
    assert "root:x:0" not in text


def test_hostile_unit_report_header_is_escaped(data):
    fetcher = AssetFetcher()
    pdf = render_pdf(_context(data, unit="MH-BAD", compare=False), fetcher=fetcher)
    assert fetcher.refused == []
    text = _flat(_text(pdf))
    assert HOSTILE in text


def test_a_unit_without_responses_gets_a_short_valid_report(data):
    ctx = _context(data, unit="MH-EMPTY")
    assert ctx["empty"] is True
    pdf = render_pdf(ctx)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 3
    text = _flat(_text(pdf))
    assert "Chưa có phiếu khảo sát" in text and "Xã Không Phiếu" in text


def test_no_result_at_all_gives_the_empty_report(data):
    ctx = build_report(None, "MH", questionnaire=data["q"], units=data["units"], lang="en",
                       wave=WAVE)
    text = _flat(_text(render_pdf(ctx)))
    assert "No responses yet" in text and "SIPAS survey 2026" in text


def test_leaf_unit_report_has_no_ranking_section(data):
    ctx = _context(data, unit="MH-X02")
    assert ctx["ranking"]["has_children"] is False
    text = _flat(_text(render_pdf(ctx)))
    assert "Xếp hạng các đơn vị trực thuộc" not in text
    # ranked in its league: the ranked units of its own kind under the same parent
    r = data["result"].rankings
    r = r[(r["kind"] == "overall") & (r["parent_code"] == "MH") & (r["status"] == "ranked")]
    kind = dict((c, k) for c, _, k in CHILDREN)["MH-X02"]
    league = int((r["unit_kind"] == kind).sum())
    assert 1 < league < len(CHILDREN)
    assert re.search(rf"Xếp hạng \d+/{league} đơn vị cùng cấp", text)


def test_bad_inputs_are_refused(data):
    with pytest.raises(ReportError, match="NOPE"):
        _context(data, unit="NOPE")
    with pytest.raises(ReportError, match="fr"):
        _context(data, lang="fr")
    for units in ("MH", None, data["units"].drop(columns="code")):
        with pytest.raises(ReportError, match="units must be a DataFrame"):
            build_report(data["result"], "MH", questionnaire=data["q"], units=units, lang="vi")


FIELD_TP = {"code": "TP", "name": "Tư pháp", "name_en": "Justice"}


@pytest.mark.parametrize("lang, cover, method", [
    ("vi", "Lĩnh vực: Tư pháp (TP); hình thức nộp hồ sơ: trực tuyến",
     "Báo cáo này chỉ tính các phiếu thuộc phạm vi sau: lĩnh vực: Tư pháp (TP); hình thức nộp hồ sơ: trực tuyến."),
    ("en", "Service field: Justice (TP); channel: online",
     "This report counts only these responses: service field: Justice (TP); channel: online."),
])
def test_a_filtered_report_names_its_subset(data, lang, cover, method):
    ctx = build_report(data["result"], "MH", questionnaire=data["q"], units=data["units"],
                       lang=lang, wave=WAVE, filters={"field": FIELD_TP, "channel": "online"})
    assert ctx["cover"]["filters"] == cover
    assert ctx["method"]["filters"].startswith(method)
    assert _plain(ctx)
    text = _flat(_text(render_pdf(ctx)))
    assert f"{TEXTS['cover_filter'][lang]} {cover}" in text
    assert method in text


def test_a_filter_of_one_kind_and_the_empty_report(data):
    ctx = build_report(None, "MH", questionnaire=data["q"], units=data["units"], lang="vi",
                       wave=WAVE, filters={"field": None, "channel": "post"})
    assert ctx["cover"]["filters"] == "Hình thức nộp hồ sơ: qua bưu chính"
    text = _flat(_text(render_pdf(ctx)))
    assert "Phạm vi phiếu Hình thức nộp hồ sơ: qua bưu chính" in text and "Chưa có phiếu khảo sát" in text
    # A field without an English name keeps its Vietnamese one; no filter, no line.
    ctx = build_report(data["result"], "MH", questionnaire=data["q"], units=data["units"],
                       lang="en", filters={"field": {"code": "DD", "name": "Đất đai", "name_en": None}})
    assert ctx["cover"]["filters"] == "Service field: Đất đai (DD)"
    assert _context(data)["cover"]["filters"] == "" and _context(data)["method"]["filters"] == ""



@pytest.mark.parametrize("lang, label", [("vi", "Giới tính"), ("en", "Sex")])
def test_methods_name_the_raking_margins_actually_used(data, lang, label):
    q = data["q"]
    answering = pd.DataFrame({"unit_code": [c for c, _, _ in CHILDREN]})
    pops = pd.DataFrame([(c, f, 400) for c, _, _ in CHILDREN for f in FIELDS],
                        columns=["unit_code", "service_field", "dossiers"])
    frame = synthetic_responses(q, answering, 1500, seed=5, fields=FIELDS)
    shares = frame["sex"].dropna().value_counts(normalize=True).to_dict()
    result = compute_sipas(frame, q, data["units"], pops, options=SipasOptions(
        rake_margins={"sex": shares}, drivers=False))
    assert result.weighting["choices"]["raking"]["margins"][-1] == "sex"
    html = render_html(build_report(result, "MH", questionnaire=q, units=data["units"],
                                    lang=lang, wave=WAVE))
    assert q.text(q.questions["sex"].label, lang) == label
    assert label in html and ("raking" in html or "raked" in html)
    assert "nhóm tuổi" not in html and "age band" not in html


@pytest.mark.parametrize("unit, lang", [("MH", "vi"), ("MH", "en"), ("MH-X02", "vi"),
                                        ("MH-STP", "en"), ("MH-EMPTY", "vi")])
def test_every_report_passes_the_pdfua_check(data, vi_report, en_report, unit, lang):
    """Province and unit reports, both languages, the empty report: zero findings."""
    if unit == "MH":
        pdf = (vi_report if lang == "vi" else en_report)["pdf"]
    else:
        pdf = render_pdf(_context(data, unit=unit, lang=lang))
    assert_pdfua(pdf)


def test_header_cells_carry_their_scope(vi_report):
    reader = PdfReader(io.BytesIO(vi_report["pdf"]))
    scopes = set()

    def walk(node):
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
            return
        if not hasattr(node, "get"):
            return
        if node.get("/S") == "/TH":
            scopes.add(node["/A"].get_object().get("/Scope"))
        if "/K" in node:
            walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    # Every header cell has a scope (none is missing), column headers in every table head.
    assert "/Column" in scopes and scopes <= {"/Column", "/Row"}


def test_row_headers_get_the_row_scope():
    import weasyprint
    from analysis.report.render import header_scopes
    html = ('<html lang="en"><head><title>t</title></head><body><table><thead><tr>'
            '<th scope="col">Wave</th><th scope="col">Index</th></tr></thead><tbody>'
            '<tr><th scope="row">2025</th><td>80</td></tr></tbody></table></body></html>')
    pdf = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1",
                                                 finisher=header_scopes)
    assert_pdfua(pdf)
    assert sorted(_th_scopes(pdf)) == ["/Column", "/Column", "/Row"]


def _th_scopes(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    found = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
            return
        if not hasattr(node, "get"):
            return
        if node.get("/S") == "/TH":
            found.append(node["/A"].get_object().get("/Scope"))
        if "/K" in node:
            walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


class _ThresholdNoting(AssetFetcher):
    """Notes the collector's young-generation threshold at every fetch WeasyPrint makes."""

    def __init__(self):
        super().__init__()
        self.thresholds = []

    def __call__(self, url, *args, **kwargs):
        self.thresholds.append(gc.get_threshold()[0])
        return super().__call__(url, *args, **kwargs)


def test_a_report_renders_with_fewer_collections_and_gives_the_threshold_back(data):
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        fetcher = _ThresholdNoting()
        pdf = render_pdf(_context(data, unit="MH-X01"), fetcher=fetcher)
        after = gc.get_threshold()
    finally:
        gc.set_threshold(*saved)
    assert pdf.startswith(b"%PDF-")
    # The fonts and both charts are fetched while WeasyPrint lays out: all of it raised.
    assert [u for u in fetcher.served if u.startswith("sipas-chart:")] != []
    assert len(fetcher.thresholds) >= 4
    assert set(fetcher.thresholds) == {RENDER_THRESHOLD}
    assert after == (700, 10, 10)


def test_the_context_is_the_same_from_pandas_records(data, monkeypatch):
    """unit_records stands in for pandas' to_dict("records") on the unit's rows."""
    from analysis.report import context as context_module
    from analysis.report import points_section, sections
    from analysis.report.unit_rows import unit_rows

    def by_pandas(table, code):
        rows = unit_rows(table, code)
        return rows.to_dict("records") if rows is not None else []

    units = ["MH", "MH-X02", "MH-EMPTY", "MH-BAD"]
    ours = [_context(data, unit=u, compare=c) for u in units for c in (True, False)]
    monkeypatch.setattr(sections, "unit_records", by_pandas)
    monkeypatch.setattr(context_module, "unit_records", by_pandas)
    monkeypatch.setattr(points_section, "unit_records", by_pandas)
    assert [_context(data, unit=u, compare=c) for u in units for c in (True, False)] == ours
