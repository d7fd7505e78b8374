"""Many reports rendered in worker processes: the same PDFs as one after another, errors
that name the unit."""

import io
import pickle
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from analysis.report import BulkRenderError, build_report, render_many
from analysis.sipas import compute_sipas
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled

FIELDS = ["TP", "DD"]
WAVE = {"code": "2026", "name": "Khảo sát SIPAS năm 2026", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31"}
CHILDREN = [("MH-X01", "Phường Minh Hoà"), ("MH-X02", "Xã Tân Phú"), ("MH-X03", "Xã Đông Sơn")]


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def _plain(obj) -> bool:
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_plain(v) for v in obj)
    return obj is None or type(obj) in (str, int, float, bool)


@pytest.fixture(scope="module")
def contexts():
    """Four contexts: two communes (vi, en), the empty commune, the province."""
    q = load_bundled("sipas")
    units = pd.DataFrame(
        [("MH", "Tỉnh Minh Hoà", "Minh Hoa Province", "province", None)]
        + [(c, n, None, "commune", "MH") for c, n in CHILDREN]
        + [("MH-EMPTY", "Xã Không Phiếu", None, "commune", "MH")],
        columns=["code", "name", "name_en", "kind", "parent_code"])
    answering = pd.DataFrame({"unit_code": [c for c, _ in CHILDREN]})
    pops = pd.DataFrame([(c, f, 300) for c, _ in CHILDREN for f in FIELDS],
                        columns=["unit_code", "service_field", "dossiers"])
    result = compute_sipas(synthetic_responses(q, answering, 900, seed=3, fields=FIELDS),
                           q, units, pops, wave="2026")
    return [build_report(result, code, questionnaire=q, units=units, lang=lang, wave=WAVE)
            for code, lang in (("MH-X01", "vi"), ("MH-X02", "en"), ("MH-EMPTY", "vi"), ("MH", "vi"))]


def test_contexts_are_plain_picklable_data(contexts):
    for ctx in contexts:
        assert _plain(ctx)
        assert pickle.loads(pickle.dumps(ctx)).keys() == ctx.keys()


def test_two_workers_render_the_same_reports_as_one(contexts):
    serial = list(render_many(contexts, workers=1))
    assert [i for i, _ in serial] == [0, 1, 2, 3]          # in-process: input order
    parallel = dict(render_many(iter(contexts), workers=2))  # a generator works too
    assert sorted(parallel) == [0, 1, 2, 3]
    for index, pdf in serial:
        assert pdf.startswith(b"%PDF-")
        assert _text(parallel[index]) == _text(pdf)
    assert "Xã Tân Phú" in _text(parallel[1]) and "Satisfaction" in _text(parallel[1])
    assert "Xã Không Phiếu" in _text(parallel[2])


def _broken(ctx: dict) -> dict:
    ctx = dict(ctx)
    del ctx["t"]                # the template's texts: rendering fails (StrictUndefined)
    return ctx


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_report_names_its_unit(contexts, workers):
    batch = [contexts[2], _broken(contexts[1]), contexts[2]]
    with pytest.raises(BulkRenderError, match=r"report of unit MH-X02 failed: UndefinedError") as info:
        list(render_many(batch, workers=workers))
    assert info.value.unit == "MH-X02" and info.value.index == 1
    assert info.value.__cause__ is not None


def test_workers_must_be_positive(contexts):
    with pytest.raises(ValueError, match="at least 1"):
        list(render_many(contexts, workers=0))
