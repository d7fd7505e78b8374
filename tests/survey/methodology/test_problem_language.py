"""Every problem of an uploaded definition or workbook in the page's language.

The questionnaire layer writes its problems as templates with parameters
(:mod:`questionnaires.messages`); the pages translate them. On the Vietnamese page no
problem line may carry English words, on the English page they read as before.
"""

import html
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from questionnaires import DefinitionError, load_definition
from questionnaires.messages import Text
from questionnaires.xlsform import XLSFormError, read_xlsform

ROOT = Path(__file__).resolve().parents[3]
BROKEN = ROOT / "tests" / "questionnaires" / "broken"
XLSFORMS = ROOT / "tests" / "questionnaires" / "xlsforms"
BASE = "/quan-ly/bang-hoi"

# (file, the problems in Vietnamese, the problems in English): exact lines with their places.
CASES = [
    (BROKEN / "unknown_keys.yaml", [
        "unknown_keys.yaml:9: elements[main].questions[trips].label: thiếu khóa 'label'",
        "unknown_keys.yaml:11: elements[main].questions[trips].lable: khóa không xác định 'lable' "
        "(có phải ý bạn là 'label'?)",
        "unknown_keys.yaml:14: elements[main].questions[trips].na: khóa 'na' không dùng cho câu "
        "hỏi loại 'integer'",
        "unknown_keys.yaml:15: colour: khóa không xác định 'colour'",
    ], [
        "unknown_keys.yaml:9: elements[main].questions[trips].label: missing key 'label'",
        "unknown_keys.yaml:11: elements[main].questions[trips].lable: unknown key 'lable' "
        "(did you mean 'label'?)",
        "unknown_keys.yaml:14: elements[main].questions[trips].na: key 'na' does not apply to "
        "questions of type 'integer'",
        "unknown_keys.yaml:15: colour: unknown key 'colour'",
    ]),
    (BROKEN / "expression_syntax.yaml", [
        "expression_syntax.yaml:15: elements[main].questions[apology].relevant: lỗi cú pháp biểu "
        "thức ở cột 9: gặp ')' không đúng chỗ: cần có một giá trị",
        "expression_syntax.yaml:21: elements[main].questions[trips].relevant: lỗi cú pháp biểu "
        "thức ở cột 6: ký tự không hợp lệ '=': dùng '==' để so sánh",
    ], [
        "expression_syntax.yaml:15: elements[main].questions[apology].relevant: expression syntax "
        "error at column 9: unexpected ')': expected a value",
        "expression_syntax.yaml:21: elements[main].questions[trips].relevant: expression syntax "
        "error at column 6: unexpected character '=': use '==' to compare",
    ]),
    (BROKEN / "missing_texts.yaml", [
        "missing_texts.yaml:4: title: thiếu văn bản tiếng Việt (vi)",
        "missing_texts.yaml:7: elements[main].title: thiếu văn bản tiếng Anh (en)",
        "missing_texts.yaml:11: elements[main].questions[late].label.fr: văn bản bằng ngôn ngữ "
        "chưa khai báo 'fr' (các ngôn ngữ là vi, en)",
        "missing_texts.yaml:12: elements[main].questions[late].hint: phải là văn bản theo từng "
        "ngôn ngữ, ví dụ {vi: ..., en: ...}",
        "missing_texts.yaml:16: elements[main].questions[apology].explain.vi: văn bản tiếng Việt "
        "(vi) trống hoặc không hợp lệ",
    ], [
        "missing_texts.yaml:4: title: missing Vietnamese text (vi)",
        "missing_texts.yaml:7: elements[main].title: missing English text (en)",
        "missing_texts.yaml:11: elements[main].questions[late].label.fr: text in undeclared "
        "language 'fr' (languages are vi, en)",
        "missing_texts.yaml:12: elements[main].questions[late].hint: must be texts by language, "
        "e.g. {vi: ..., en: ...}",
        "missing_texts.yaml:16: elements[main].questions[apology].explain.vi: empty or invalid "
        "Vietnamese text (vi)",
    ]),
    (BROKEN / "duplicate_ids.yaml", [
        "duplicate_ids.yaml:14: elements[main].id: mã phần 'main' bị trùng (khai báo lần đầu ở "
        "dòng 6)",
        "duplicate_ids.yaml:17: elements[main].questions[trips].id: mã câu hỏi 'trips' bị trùng "
        "(khai báo lần đầu ở dòng 9)",
    ], [
        "duplicate_ids.yaml:14: elements[main].id: duplicate element id 'main' (first defined on "
        "line 6)",
        "duplicate_ids.yaml:17: elements[main].questions[trips].id: duplicate question id 'trips' "
        "(first defined on line 9)",
    ]),
    (BROKEN / "yaml_syntax.yaml", [
        "yaml_syntax.yaml:4: lỗi cú pháp YAML ở cột 6: cần ',' hoặc ']' nhưng gặp ':'",
    ], [
        "yaml_syntax.yaml:4: YAML syntax error at column 6: expected ',' or ']', but found ':'",
    ]),
    (XLSFORMS / "or_other.xlsx", [
        "or_other.xlsx: trang survey, dòng 2, cột type: 'select_one colors or_other': không hỗ "
        "trợ or_other; hãy thêm lựa chọn 'other' và một câu hỏi văn bản hiện ra khi lựa chọn "
        "đó được chọn",
        "or_other.xlsx: trang survey, dòng 3, cột choice_filter: không hỗ trợ choice_filter "
        "(danh sách lựa chọn không được lọc)",
    ], [
        "or_other.xlsx: survey row 2, column type: 'select_one colors or_other': or_other is not "
        "supported; add an 'other' choice and a text question shown when it is chosen",
        "or_other.xlsx: survey row 3, column choice_filter: choice_filter is not supported "
        "(choice lists are not filtered)",
    ]),
    (XLSFORMS / "text_and_integer.xlsx", [
        "text_and_integer.xlsx: trang survey, dòng 3, cột type: câu hỏi số nguyên cần có giới "
        "hạn: một ràng buộc '. >= 0 and . <= 100' hoặc các cột bind::sipas:min và "
        "bind::sipas:max",
        "text_and_integer.xlsx: trang survey: không có văn bản tiếng Việt: hãy thêm các cột như "
        "label::Tiếng Việt (vi) (hệ thống này lấy tiếng Việt làm ngôn ngữ chính)",
    ], [
        "text_and_integer.xlsx: survey row 3, column type: an integer question needs bounds: a "
        "constraint '. >= 0 and . <= 100' or the columns bind::sipas:min and bind::sipas:max",
        "text_and_integer.xlsx: survey: no Vietnamese text: add columns such as label::Tiếng "
        "Việt (vi) (Vietnamese comes first in this platform)",
    ]),
]
IDS = [path.name for path, _, _ in CASES]


def _upload(client, path: Path):
    return client.post(f"{BASE}/kiem-tra", data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def _problems(response) -> list[str]:
    body = response.get_data(as_text=True)
    return [html.unescape(p) for p in re.findall(r"<li><code>(.*?)</code></li>", body, re.S)]


def _catalogue(lang: str) -> dict:
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale=lang) if m.id and not m.context}


def _layer_templates() -> set[str]:
    """Every template marked N_() in questionnaires/, as pybabel extracts it."""
    return {message for _, _, message, *_ in extract_from_dir(
        str(ROOT / "questionnaires"), method_map=[("**.py", "python")],
        keywords={"N_": None}) if isinstance(message, str)}


def _placeholders_only(template: str) -> bool:
    return not re.sub(r"%\(\w+\)s", "", template).strip(" :,'()")


def _english_words() -> set[str]:
    """Words of the layer's English templates that no Vietnamese translation uses."""
    vi = _catalogue("vi")
    words = set()
    for template in _layer_templates():
        words |= set(re.findall(r"[a-z]{3,}", re.sub(r"%\(\w+\)s", " ", template).lower()))
    used_in_vi = set(re.findall(r"[a-z]{3,}", " ".join(vi[t] for t in _layer_templates() if t in vi).lower()))
    return words - used_in_vi


def _words_outside_quotes(line: str) -> set[str]:
    # The place (file, line, field; sheet, row, column) and what is quoted are identifiers.
    message = re.sub(r"'[^']*'|\"[^\"]*\"|\{[^}]*\}|\S*[_\[\].:]\S*", " ", line)
    return set(re.findall(r"\w+", message.lower()))


@pytest.mark.parametrize(("path", "vietnamese", "english"), CASES, ids=IDS)
def test_problems_on_the_vietnamese_page(sign_in_as, path, vietnamese, english):
    client = sign_in_as("methodologist")
    response = _upload(client, path)
    assert response.status_code == 422
    problems = _problems(response)
    assert problems == vietnamese
    english_words = _english_words()
    for line in problems:
        assert not _words_outside_quotes(line) & english_words, line
        assert line not in english


@pytest.mark.parametrize(("path", "vietnamese", "english"), CASES, ids=IDS)
def test_problems_on_the_english_page(sign_in_as, path, vietnamese, english):
    client = sign_in_as("methodologist")
    client.set_cookie("lang", "en")
    response = _upload(client, path)
    assert response.status_code == 422
    assert _problems(response) == english


def test_the_english_word_check_would_notice_english():
    # The check above is not vacuous: an English problem line fails it.
    words = _english_words()
    assert {"unknown", "missing", "supported"} <= words
    assert _words_outside_quotes("x.yaml:3: colour: unknown key 'colour'") & words


def test_every_template_of_the_questionnaire_layer_is_translated():
    templates = _layer_templates()
    assert len(templates) > 150        # the extraction really sees the layer's messages
    assert "unknown key '%(key)s'" in templates
    vi, en = _catalogue("vi"), _catalogue("en")
    assert sorted(t for t in templates if not vi.get(t)) == []
    assert sorted(t for t in templates if not en.get(t)) == []
    assert sorted(t for t in templates if vi[t] == t and not _placeholders_only(t)) == []


def _texts(value):
    """A Text and every Text among its parameters."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Text):
            yield item
            stack.extend(item.params.values())


def _raised_problems():
    for path in sorted(BROKEN.glob("*.yaml")):
        with pytest.raises(DefinitionError) as info:
            load_definition(path)
        yield from (p.message for p in info.value.problems)
    for path in sorted(XLSFORMS.glob("*.xlsx")):
        try:
            read_xlsform(path)
        except XLSFormError as exc:
            yield from exc.problems


def test_every_problem_raised_is_a_translated_template():
    vi = _catalogue("vi")
    templates = _layer_templates()
    seen = set()
    for problem in _raised_problems():
        assert isinstance(problem, Text), problem
        for text in _texts(problem):
            if not _placeholders_only(text.template) or text.template == "%(sheet)s":
                seen.add(text.template)
    assert len(seen) > 40
    assert sorted(seen - templates) == []         # every one is marked for extraction
    assert sorted(t for t in seen if not vi.get(t)) == []


def _diff_rows(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    table = re.search(r'<table class="data-table compact changes">(.*?)</table>', body, re.S).group(1)
    rows = re.findall(r"<tr class=\"change-[a-z_]+\">(.*?)</tr>", table, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
            for r in rows]


@pytest.mark.parametrize(("lang", "label", "condition"), [
    ("vi", ["Sửa câu chữ", "trips", "nhãn"], ["Đổi điều kiện", "harassment", "điều kiện hiển thị"]),
    ("en", ["Reworded", "trips", "label"], ["Condition changed", "harassment", "condition for showing"]),
])
def test_the_changes_name_their_field_in_the_page_language(app, sign_in_as, lang, label, condition):
    from survey.services import questionnaire_publish as qp

    from .helpers import desk

    with app.app_context():
        qp.publish(qp.check_upload(desk("1").encode(), "d.yaml").questionnaire)
    client = sign_in_as("methodologist")
    client.set_cookie("lang", lang)
    text = desk("2", reword=True).replace("      - id: harassment\n",
                                          "      - id: harassment\n        relevant: \"trips >= 2\"\n")
    response = client.post(f"{BASE}/kiem-tra", data={"file": (io.BytesIO(text.encode()), "d.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    rows = [row[:3] for row in _diff_rows(response)]
    assert label in rows and condition in rows
    if lang == "vi":
        assert all(row[2] not in ("label", "relevant", "hint", "constraint") for row in rows)


def test_the_command_speaks_vietnamese_by_default_and_english_on_request(runner, tmp_path):
    path = tmp_path / "unknown_keys.yaml"
    path.write_bytes((BROKEN / "unknown_keys.yaml").read_bytes())
    runner.env = {"SIPAS_LANG": None}  # whatever the shell running the tests says
    vi = runner.invoke(args=["questionnaire", "check", str(path)])
    assert vi.exit_code == 2
    assert vi.output.splitlines() == CASES[0][1]
    en = runner.invoke(args=["questionnaire", "check", "--lang", "en", str(path)])
    assert en.exit_code == 2 and en.output.splitlines() == CASES[0][2]
    runner.env = {"SIPAS_LANG": "en"}
    assert runner.invoke(args=["questionnaire", "check", str(path)]).output.splitlines() == CASES[0][2]
    missing = runner.invoke(args=["questionnaire", "check", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    runner.env = {"SIPAS_LANG": None}
    missing = runner.invoke(args=["questionnaire", "check", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "không có tệp này" in missing.output
