"""XLSForm in and out: round trips, real pyxform workbooks, and a table of broken ones."""

import subprocess
import sys
from pathlib import Path

from xml.dom import minidom

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from questionnaires import load_bundled, load_definition
from questionnaires.__main__ import main
from questionnaires.expression_parser import parse_tree
from questionnaires.xlsform import XLSFormError, definition_yaml, read_xlsform, write_xlsform
from questionnaires.xlsform.xpath import XPathError, from_xpath, to_source, to_xpath

HERE = Path(__file__).resolve().parent
REAL = HERE / "xlsforms"
ROOT = HERE.parents[1]
VI, EN = "label::Tiếng Việt (vi)", "label::English (en)"


def run(*args):
    """Run the command in-process; return (exit status, stderr lines)."""
    return main([str(a) for a in args])


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sipas", "desk"])
def test_bundled_definition_round_trips_exactly(name, tmp_path):
    book, back = tmp_path / f"{name}.xlsx", tmp_path / f"{name}.yaml"
    assert run("export-xlsform", ROOT / "questionnaires" / f"{name}.yaml", "-o", book) == 0
    assert run("import-xlsform", book, "-o", back) == 0
    again = load_definition(back)
    assert again.to_dict() == load_bundled(name).to_dict()
    assert again.content_hash == load_bundled(name).content_hash


def test_exported_workbook_is_a_valid_xlsform_for_pyxform(tmp_path):
    from pyxform.xls2xform import convert
    write_xlsform(load_bundled("sipas"), tmp_path / "sipas.xlsx")
    xform = convert(xlsform=str(tmp_path / "sipas.xlsx")).xform
    assert "<h:title>Phiếu khảo sát sự hài lòng" in xform
    assert 'relevant=" /data/service/late  = \'true\'" sipas:type="yesno"' in xform
    assert 'xmlns:sipas="urn:sipas:xlsform"' in xform
    minidom.parseString(xform.encode("utf-8"))   # well-formed: the namespace is declared


def test_exported_workbook_uses_xlsform_columns_and_markers(tmp_path):
    write_xlsform(load_bundled("sipas"), tmp_path / "s.xlsx")
    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["survey", "choices", "settings", "sipas"]
    header = [c.value for c in book["survey"][1]]
    rows = [dict(zip(header, r)) for r in book["survey"].iter_rows(min_row=2, values_only=True)]
    by_name = {r["name"]: r for r in rows if not str(r["type"]).startswith(("begin", "end"))}
    assert by_name["late"]["type"] == "select_one sipas_yesno"
    assert by_name["late"]["bind::sipas:type"] == "yesno"
    assert by_name["access_info"]["type"] == "select_one sipas_scale_na"
    assert by_name["apology"]["relevant"] == "${late} = 'true'"
    assert by_name["apology"]["bind::sipas:relevant"] is None      # XPath gives it back
    assert by_name["trips"]["relevant"] == \
        "(${channel} = 'in_person' or ${channel} = 'online_partial')"
    assert by_name["trips"]["bind::sipas:relevant"] == "channel in ['in_person', 'online_partial']"
    assert rows[0]["type"] == "begin_group" and rows[0]["name"] == "service"
    assert rows[0][VI] == load_bundled("sipas").element("service").title["vi"]
    settings = dict(zip([c.value for c in book["settings"][1]], [c.value for c in book["settings"][2]]))
    assert settings == {"form_title": load_bundled("sipas").title["vi"], "form_id": "sipas",
                        "version": load_bundled("sipas").version,
                        "default_language": "Tiếng Việt (vi)",
                        "namespaces": 'sipas="urn:sipas:xlsform"'}
    extra = {r[0]: yaml.safe_load(r[1]) for r in book["sipas"].iter_rows(min_row=2, values_only=True)}
    assert extra["analysis"] == load_bundled("sipas").analysis.to_dict()


def test_an_edited_condition_wins_over_the_stale_exact_text(tmp_path):
    path = tmp_path / "s.xlsx"
    write_xlsform(load_bundled("sipas"), path)
    book = load_workbook(path)
    sheet = book["survey"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("name")].value == "trips":
            row[header.index("relevant")].value = "${channel} = 'in_person'"
    book.save(path)
    element = next(e for e in read_xlsform(path)["elements"] if e["id"] == "service")
    trips = next(q for q in element["questions"] if q["id"] == "trips")
    assert trips["relevant"] == "channel == 'in_person'"


# -- expressions ---------------------------------------------------------------------------------
TYPES = {"late": "yesno", "channel": "single", "topics": "multiple", "trips": "single",
         ("values", "trips"): {1, 2, 3}, "visits": "integer", "overall": "scale",
         ("values", "channel"): set(), ("values", "topics"): set()}


@pytest.mark.parametrize("xpath, ours", [
    ("${channel} = 'in_person'", "channel == 'in_person'"),
    ("${late} = 'true'", "late == true"),
    ("${late} = true()", "late == true"),
    ("selected(${topics}, 'info')", "'info' in topics"),
    ("selected(${channel}, 'post')", "channel == 'post'"),
    ("not(selected(${topics}, 'info')) and ${visits} > 2", "not 'info' in topics and visits > 2"),
    ("${trips} = '3'", "trips == 3"),
    ("${overall} >= '4' or ${overall} = 'na'", "overall >= 4 or overall == 'na'"),
    ("count-selected(${topics}) <= 2", "count(topics) <= 2"),
    ("${visits} != ''", "answered(visits)"),
    ("${visits} = ''", "not answered(visits)"),
    (". != 13", ". != 13"),
    ("(${visits} + 1) * 2 < 10", "(visits + 1) * 2 < 10"),
    ("${visits} - -1 = 0", "visits - -1 == 0"),
])
def test_xpath_is_translated(xpath, ours):
    assert from_xpath(xpath, TYPES, "visits") == ours
    assert to_source(parse_tree(ours)) == ours


@pytest.mark.parametrize("xpath, message", [
    ("regex(${visits}, '[0-9]+')", "the function regex() is not available"),
    ("${visits} div 2 > 1", "'div' is not available (only + - * on whole numbers)"),
    ("${visits} mod 2 = 0", "'mod' is not available (only + - * on whole numbers)"),
    ("${nowhere} = 1", "${nowhere} is not a question of this form"),
    ("${visits} > 1.5", "decimal number 1.5 (only whole numbers)"),
    ("${topics} = 'info'", "compare a select_multiple answer with selected(), not with a comparison"),
    ("${visits} = ", "unexpected 'end of the expression'"),
    ("today() > 3", "the function today() is not available"),
])
def test_xpath_we_cannot_carry_is_refused(xpath, message):
    with pytest.raises(XPathError) as caught:
        from_xpath(xpath, TYPES, "visits")
    assert str(caught.value) == message


def test_a_literal_with_both_quotes_has_no_xpath_form():
    with pytest.raises(XPathError, match="has no XPath form"):
        to_xpath(parse_tree("channel == 'a\\'\"b'"), TYPES)


# -- real workbooks from pyxform ---------------------------------------------------------------------
def test_real_workbooks_we_can_carry_import_and_load(tmp_path):
    for name, qid in (("survey_no_name", "state"), ("extra_sheet_names", "test")):
        out = tmp_path / f"{name}.yaml"
        assert run("import-xlsform", REAL / f"{name}.xlsx", "-o", out) == 0
        q = load_definition(out)
        assert q.id == name and list(q.questions) == [qid]
        assert q.questions[qid].type == "text" and q.questions[qid].required is False
        assert q.elements[0].id == "part_1" and q.title == {"vi": name}


NO_VI = ("survey: no Vietnamese text: add columns such as label::Tiếng Việt (vi) "
         "(Vietnamese comes first in this platform)")
BOUNDS = ("column type: an integer question needs bounds: a constraint '. >= 0 and . <= 100' "
          "or the columns bind::sipas:min and bind::sipas:max")
REAL_REFUSED = {
    "text_and_integer": [f"survey row 3, {BOUNDS}", NO_VI],
    "yes_or_no_question": [NO_VI],
    "group": ["survey row 4, column type: type 'phone number' is not supported (supported: "
              "select_one, select_multiple, integer, text, note, begin_group, end_group)",
              f"survey row 5, {BOUNDS}", NO_VI],
    "loop": ["survey row 2, column type: 'select all that apply from toilet_type or specify "
             "other': or_other is not supported; add an 'other' choice and a text question "
             "shown when it is chosen",
             "survey row 3, column type: repeats are not supported (a questionnaire asks each "
             "question once)", NO_VI],
    "pull_data": ["survey row 2, column calculation: pulldata() reads data from outside the "
                  "form; not supported",
                  "survey row 2, column type: calculate is not supported (the format has no "
                  "computed values)"],
    "or_other": ["survey row 2, column type: 'select_one colors or_other': or_other is not "
                 "supported; add an 'other' choice and a text question shown when it is chosen",
                 "survey row 3, column choice_filter: choice_filter is not supported (choice "
                 "lists are not filtered)"],
    "specify_other": ["survey row 2, column type: 'select one from sexes or specify other': "
                      "or_other is not supported; add an 'other' choice and a text question "
                      "shown when it is chosen", NO_VI],
    "choice_filter_test": [
        "survey row 3, column choice_filter: choice_filter is not supported (choice lists are "
        "not filtered)",
        "survey row 4, column choice_filter: choice_filter is not supported (choice lists are "
        "not filtered)"],
    "case_insensitivity": [
        "survey row 3, column type: 'select_one_external c1': choices from outside the "
        "workbook are not supported",
        "survey row 4, column type: type 'osm c1' is not supported (supported: select_one, "
        "select_multiple, integer, text, note, begin_group, end_group)", NO_VI],
}


@pytest.mark.parametrize("name", sorted(REAL_REFUSED))
def test_real_workbooks_we_cannot_carry_are_refused_with_places(name, tmp_path, capsys):
    out = tmp_path / "out.yaml"
    assert run("import-xlsform", REAL / f"{name}.xlsx", "-o", out) == 2
    assert capsys.readouterr().err.splitlines() == [f"{name}.xlsx: {m}" for m in REAL_REFUSED[name]]
    assert not out.exists()


def test_every_copied_workbook_is_tested():
    tested = set(REAL_REFUSED) | {"survey_no_name", "extra_sheet_names"}
    assert {p.stem for p in REAL.glob("*.xlsx")} == tested
    assert (REAL / "NOTICE").is_file() and (REAL / "LICENSE-pyxform").is_file()


# -- broken workbooks, written here ------------------------------------------------------------------
SETTINGS = [["form_id", "form_title", "form_title::English (en)"], ["test", "Thử", "Test"]]


def book(path, survey, choices=None, settings=SETTINGS, extra=None):
    """Write an XLSForm: each sheet is a header row then rows."""
    wb = Workbook()
    wb.active.title = "survey"
    for row in survey:
        wb.active.append(row)
    for name, rows in (("choices", choices), ("settings", settings), ("sipas", extra)):
        if rows:
            sheet = wb.create_sheet(name)
            for row in rows:
                sheet.append(row)
    wb.save(path)
    return path


HEAD = ["type", "name", VI, EN]
YESNO = [["list_name", "name", VI, EN], ["yn", "yes", "Có", "Yes"], ["yn", "no", "Không", "No"]]
SUPPORTED = "(supported: select_one, select_multiple, integer, text, note, begin_group, end_group)"

BROKEN = {
    "repeat": ([HEAD, ["begin_repeat", "kids", "Trẻ em", "Children"],
                ["text", "kid", "Tên", "Name"], ["end_repeat", None, None, None],
                ["text", "after", "Sau", "After"]], None,
               ["survey row 2, column type: repeats are not supported (a questionnaire asks "
                "each question once)"]),
    "pulldata": ([HEAD + ["calculation"],
                  ["calculate", "fruit", None, None, "pulldata('fruits', 'name', 'name', 'x')"]],
                 None,
                 ["survey row 2, column calculation: pulldata() reads data from outside the "
                  "form; not supported",
                  "survey row 2, column type: calculate is not supported (the format has no "
                  "computed values)"]),
    "media": ([HEAD + ["image"], ["note", "logo", "Xin chào", "Hello", "logo.png"]], None,
              ["survey row 2, column image: media are not supported"]),
    "date_type": ([HEAD, ["date", "born", "Ngày sinh", "Born"]], None,
                  [f"survey row 2, column type: type 'date' is not supported {SUPPORTED}"]),
    "metadata": ([HEAD, ["deviceid", "device", None, None]], None,
                 ["survey row 2, column type: metadata 'deviceid' is not collected: responses "
                  "are anonymous and carry no device, phone or time stamps"]),
    "regex": ([HEAD + ["constraint", "constraint_message::Tiếng Việt (vi)"],
               ["text", "email", "Thư điện tử", "Email", "regex(., '@')", "Sai"]], None,
              ["survey row 2, column constraint: cannot carry 'regex(., '@')': the function "
               "regex() is not available"]),
    "unknown_ref": ([HEAD + ["relevant"], ["text", "why", "Vì sao", "Why", "${nowhere} = 'x'"]],
                    None, ["survey row 2, column relevant: cannot carry '${nowhere} = 'x'': "
                           "${nowhere} is not a question of this form"]),
    "missing_list": ([HEAD, ["select_one colours", "colour", "Màu", "Colour"]], YESNO,
                     ["survey row 2, column type: choice list 'colours' is not on the choices "
                      "sheet"]),
    "nested_group": ([HEAD, ["begin_group", "a", "Phần A", "Part A"],
                      ["begin_group", "b", "Phần B", "Part B"], ["text", "t", "Ý kiến", "Views"],
                      ["end_group", None, None, None], ["end_group", None, None, None]], None,
                     ["survey row 3, column type: groups inside groups are not supported (each "
                      "group is one page)"]),
    "unclosed_group": ([HEAD, ["begin_group", "a", "Phần A", "Part A"],
                        ["text", "t", "Ý kiến", "Views"]], None,
                       ["survey row 2, column type: begin_group without end_group"]),
    "stray_end": ([HEAD, ["text", "t", "Ý kiến", "Views"], ["end_group", None, None, None]], None,
                  ["survey row 3, column type: end_group without begin_group"]),
    "unbounded_integer": ([HEAD, ["integer", "age", "Tuổi", "Age"]], None,
                          ["survey row 2, column type: an integer question needs bounds: a "
                           "constraint '. >= 0 and . <= 100' or the columns bind::sipas:min "
                           "and bind::sipas:max"]),
    "choice_filter": ([HEAD + ["choice_filter"],
                       ["select_one yn", "ok", "Được", "OK", "name != 'no'"]], YESNO,
                      ["survey row 2, column choice_filter: choice_filter is not supported "
                       "(choice lists are not filtered)"]),
    "language_without_code": ([["type", "name", VI, "label::chinese"],
                               ["text", "t", "Ý kiến", "意见"]], None,
                              ["survey row 2, column label::chinese: language 'chinese' has no "
                               "code: write it as 'Name (code)', e.g. label::Tiếng Việt (vi)"]),
    # The settings give a Vietnamese title, so Vietnamese is a language of the form.
    "english_only": ([["type", "name", "label::English (en)"], ["text", "t", "Views"]], None,
                     [f"survey row 2, column {VI}: elements[part_1].questions[t].label: "
                      "missing Vietnamese text (vi)"]),
    "bad_scale_list": ([HEAD + ["bind::sipas:type"], ["select_one yn", "s", "Hài lòng", "Satisfied",
                                                      "scale"]], YESNO,
                       ["survey row 2, column bind::sipas:type: a scale's list must be 1, 2, 3, "
                        "4, 5 (then not_applicable, na or both), as sipas_scale or "
                        "sipas_scale_na"]),
    "unknown_column": ([HEAD + ["default"], ["text", "t", "Ý kiến", "Views", "không"]], None,
                       ["survey row 2, column default: column 'default' is not supported"]),
    "bad_name": ([HEAD, ["text", "Bad-Name", "Ý kiến", "Views"]], None,
                 ["survey row 2: elements[part_1].questions[Bad-Name].id: question id "
                  "'Bad-Name' must use lowercase letters, digits and '_', starting with a letter"]),
    "missing_label": ([HEAD, ["text", "t", None, "Views"], ["text", "u", "Ý kiến", "Views"]],
                      None, [f"survey row 2, column {VI}: elements[part_1].questions[t].label: "
                             "missing Vietnamese text (vi)"]),
    "missing_title": ([HEAD, ["text", "t", "Ý kiến", "Views"]], None,
                      ["settings row 2, column form_title::English (en): title: missing "
                       "English text (en)",
                       "survey: elements[part_1].title: missing English text (en)"]),
    "constraint_without_message": ([HEAD + ["constraint"], ["integer", "n", "Số", "Number", ". > 0"]],
                                   None, [f"survey row 2, {BOUNDS}"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_workbook_is_refused_with_exact_messages(case, tmp_path, capsys):
    survey, choices, messages = BROKEN[case]
    settings = [["form_id", "form_title"], ["test", "Thử"]] if case == "missing_title" else SETTINGS
    path = book(tmp_path / f"{case}.xlsx", survey, choices, settings)
    assert run("import-xlsform", path, "-o", tmp_path / "out.yaml") == 2
    assert capsys.readouterr().err.splitlines() == [f"{case}.xlsx: {m}" for m in messages]
    with pytest.raises(XLSFormError):
        read_xlsform(path)


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path, capsys):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    assert run("import-xlsform", path, "-o", tmp_path / "out.yaml") == 2
    err = capsys.readouterr().err
    assert err.startswith("fake.xlsx: cannot read the workbook") and "Traceback" not in err
    assert run("import-xlsform", tmp_path / "absent.xlsx", "-o", tmp_path / "o.yaml") == 2
    assert capsys.readouterr().err == f"{tmp_path / 'absent.xlsx'}: no such file\n"


def test_a_plain_xlsform_maps_every_supported_column(tmp_path):
    survey = [HEAD + ["hint::Tiếng Việt (vi)", "hint::English (en)",
                      "guidance_hint::Tiếng Việt (vi)", "guidance_hint::English (en)", "required",
                      "relevant", "constraint", "constraint_message::Tiếng Việt (vi)",
                      "constraint_message::English (en)", "appearance"],
              ["begin group", "visit", "Lần đến", "Visit", "Giới thiệu", "About", None, None,
               None, None, None, None, None, "field-list"],
              ["select one yn", "came", "Có đến không", "Did you come", None, None, None, None,
               "yes", None, None, None, None, None],
              ["integer", "times", "Số lần", "Times", "Tối đa 9", "At most 9", "Đếm mỗi lần",
               "Count each visit", "true", "${came} = 'yes'", ". >= 1 and . <= 9", None, None,
               None],
              ["select_multiple yn", "which", "Chọn", "Pick", None, None, None, None, "no", None,
               "count-selected(.) <= 1", "Chọn một", "Pick one", None],
              ["end group"] + [None] * 13,
              ["note", "bye", "Cảm ơn", "Thanks", None, None, None, None, None,
               "not(selected(${which}, 'no'))", None, None, None, None]]
    settings = [["form_id", "version", "form_title", "form_title::English (en)"],
                ["visits", "2024.1", "Khảo sát", "Survey"]]
    path = book(tmp_path / "plain.xlsx", survey, YESNO, settings)
    d = read_xlsform(path)
    q = load_definition("plain.yaml", text=definition_yaml(d))
    assert (q.id, q.version, q.languages, q.title) == ("visits", "2024.1", ("vi", "en"),
                                                       {"vi": "Khảo sát", "en": "Survey"})
    assert q.elements[1].title == q.title
    assert [e.id for e in q.elements] == ["visit", "part_1"]
    assert q.elements[0].intro == {"vi": "Giới thiệu", "en": "About"}
    times = q.questions["times"]
    assert (times.type, times.min, times.max, times.constraint) == ("integer", 1, 9, None)
    assert times.relevant.source == "came == 'yes'" and times.required is True
    assert times.explain == {"vi": "Đếm mỗi lần", "en": "Count each visit"}
    assert times.hint == {"vi": "Tối đa 9", "en": "At most 9"}
    which = q.questions["which"]
    assert which.constraint.source == "count(.) <= 1"
    assert which.constraint_message == {"vi": "Chọn một", "en": "Pick one"}
    assert which.required is False
    assert q.questions["came"].choices[0].label == {"vi": "Có", "en": "Yes"}
    assert q.questions["bye"].relevant.source == "not 'no' in which"


def test_the_command_runs_as_a_module(tmp_path):
    out = tmp_path / "desk.xlsx"
    done = subprocess.run([sys.executable, "-m", "questionnaires", "export-xlsform",
                           str(ROOT / "questionnaires" / "desk.yaml"), "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and out.is_file(), done.stderr
    broken = book(tmp_path / "b.xlsx", BROKEN["repeat"][0])
    done = subprocess.run([sys.executable, "-m", "questionnaires", "import-xlsform", str(broken),
                           "-o", str(tmp_path / "b.yaml")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("b.xlsx: survey row 2, column type: repeats are not supported")


@pytest.mark.parametrize("extra, message", [
    ([["key", "value"], ["title", "just text"]], "sipas, column title: title must be a mapping"),
    ([["key", "value"], ["languages", "vi"]], "sipas, column languages: languages must be a list"),
    ([["key", "value"], ["analysis", "[1, 2"]], None),
    ([["key", "value"], ["analysis", "method: median"]],
     "sipas: analysis.method: method must be 'share' or 'mean100', not 'median'"),
])
def test_a_damaged_sipas_sheet_is_refused_with_its_place(extra, message, tmp_path, capsys):
    path = book(tmp_path / "x.xlsx", [HEAD, ["text", "t", "Ý kiến", "Views"]], extra=extra)
    assert run("import-xlsform", path, "-o", tmp_path / "x.yaml") == 2
    err = capsys.readouterr().err.splitlines()
    if message is None:
        assert len(err) == 1 and err[0].startswith("x.xlsx: sipas row 2, column value: not YAML")
    else:
        assert err == [f"x.xlsx: {message}"]
