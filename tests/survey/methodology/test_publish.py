"""Publishing questionnaire versions: checks with places, immutability, the reuse rule of
question ids, diffs, a wave's version, and the ``flask questionnaire`` commands."""

import io

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from questionnaires import load_bundled, load_definition
from questionnaires.diff import diff, reuse_conflicts
from survey.extensions import db
from survey.models import AuditEvent, QuestionnaireVersion, Wave
from survey.services import questionnaire_publish as qp

from .helpers import DESK, TRIPS_EN, broken_line, desk, line_of


def _q(text):
    return load_definition("d.yaml", text=text)


def test_diff_lists_rewordings_choices_and_conditions():
    old, new = _q(desk("1")), _q(desk("2", reword=True, codes=True))
    changes = {(c.kind, c.id, c.field) for c in diff(old, new)}
    assert ("reworded", "trips", "label") in changes
    assert ("choices_changed", "trips", None) in changes
    conditional = desk("3").replace("      - id: harassment\n",
                                    "      - id: harassment\n        relevant: \"trips >= 2\"\n")
    (change,) = [c for c in diff(old, _q(conditional)) if c.kind == "condition_changed"]
    assert (change.id, change.field, change.old, change.new) == ("harassment", "relevant", None, "trips >= 2")
    renamed = {(c.kind, c.id) for c in diff(old, _q(desk("4", rename=True)))}
    assert {("question_added", "trips_v2"), ("question_removed", "trips")} <= renamed
    assert diff(old, _q(desk("1"))) == []
    (label,) = [str(c) for c in diff(old, new) if c.field == "label"]
    assert label.startswith(f"reworded trips (label): en: {TRIPS_EN} / vi: ")
    assert "-> en: How many times did you come for this application? / vi: " in label


def test_reuse_conflicts_name_the_id_the_field_and_the_version():
    published = [_q(desk("1"))]
    assert reuse_conflicts(published, _q(desk("2", reword=True))) == []
    (conflict,) = reuse_conflicts(published, _q(desk("2", codes=True)))
    assert (conflict.question, conflict.field, conflict.version) == ("trips", "choices", "1")
    assert "needs a new id" in str(conflict) and "[1, 2, 3]" in str(conflict)
    assert reuse_conflicts(published, _q(desk("2", rename=True))) == []


def test_check_upload_reports_every_problem_with_its_place():
    bad = qp.check_upload(desk(broken=True).encode(), "desk.yaml")
    assert not bad.ok
    assert bad.problems[0].startswith(
        f"desk.yaml:{broken_line()}: elements[rating].questions[staff_polite].type:")
    assert len(bad.problems) == 2
    assert qp.check_upload(b"\xff\xfe", "x.yaml").problems[0].startswith("x.yaml: the file is not UTF-8")
    assert "upload a YAML" in qp.check_upload(b"id: x", "x.txt").problems[0]
    assert "not an Excel workbook" in qp.check_upload(b"id: x", "x.xlsx").problems[0]
    assert "larger than" in qp.check_upload(b"#" * (qp.MAX_UPLOAD_BYTES + 1), "x.yaml").problems[0]
    damaged = qp.check_upload(b"PK\x03\x04" + b"\0" * 100, "x.xlsx")
    assert not damaged.ok and damaged.problems[0].startswith("x.xlsx")
    assert qp.check_upload(DESK.encode(), "desk.yaml").ok


def test_xlsform_upload_reads_like_the_yaml(tmp_path):
    from questionnaires.xlsform import write_xlsform

    path = tmp_path / "desk.xlsx"
    write_xlsform(load_bundled("desk"), path)
    checked = qp.check_upload(path.read_bytes(), "desk.xlsx")
    assert checked.ok, checked.problems
    assert checked.questionnaire.content_hash == load_bundled("desk").content_hash


def test_publish_is_immutable_audited_and_refuses_changed_reused_ids(app):
    with app.app_context(), force_locale("en"):
        first, new = qp.publish(_q(desk("1")))
        assert new and first.published_at is not None
        again, new = qp.publish(_q(desk("1")))
        assert (again.id, new) == (first.id, False)
        with pytest.raises(qp.PublishError) as error:
            qp.publish(_q(desk("1", reword=True)))
        assert "already published with other content" in error.value.problems[0]
        with pytest.raises(qp.PublishError) as error:
            qp.publish(_q(desk("2", codes=True)))
        assert error.value.problems == [
            "question 'trips': its choices were [1, 2, 3] in published version 1 and are "
            "[1, 22, 3] here; a question whose choices change needs a new id"]
        renamed, new = qp.publish(_q(desk("2", rename=True)))
        assert new
        stored = db.session.get(QuestionnaireVersion, first.id)
        assert stored.content_hash == _q(desk("1")).content_hash
        assert [r.version for r in qp.versions("desk")] == ["1", "2"]
        assert qp.find_version("desk").id == renamed.id
        lines = db.session.scalars(select(AuditEvent).where(AuditEvent.action == qp.PUBLISHED)).all()
        assert sorted(e.details["version"] for e in lines) == ["1", "2"]


def test_a_wave_keeps_the_version_its_responses_answered(app, make_wave, create_response):
    with app.app_context():
        v1, _ = qp.publish(_q(desk("1")))
        v2, _ = qp.publish(_q(desk("2", rename=True)))
        draft = make_wave(questionnaire=_q(desk("1")), status="draft")
        draft = db.session.get(Wave, draft.id)
        qp.set_wave_version(draft, v2)
        assert db.session.get(Wave, draft.id).questionnaire_version_id == v2.id
        opened = db.session.get(Wave, make_wave(questionnaire=_q(desk("1")), status="open").id)
        with pytest.raises(qp.WaveVersionError, match="not_draft"):
            qp.set_wave_version(opened, v2)
        answered = db.session.get(Wave, make_wave(questionnaire=_q(desk("1")), status="draft").id)
        response = create_response(answered)
        with pytest.raises(qp.WaveVersionError, match="has_responses"):
            qp.set_wave_version(answered, v2)
        assert response.questionnaire_version_id == v1.id
        assert db.session.get(Wave, answered.id).questionnaire_version_id == v1.id
        audit = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == qp.WAVE_VERSION_SET))
        assert audit == 1


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_check_publish_export(app, runner, tmp_path):
    runner.env = {"SIPAS_LANG": "en"}  # the English messages (Vietnamese: the test below)
    ok = runner.invoke(args=["questionnaire", "check", _write(tmp_path, "d1.yaml", desk("1"))])
    assert ok.exit_code == 0, ok.output
    assert "desk@1: 2 elements, 8 questions" in ok.output and "OK: it may be published." in ok.output
    bad = runner.invoke(args=["questionnaire", "check", _write(tmp_path, "bad.yaml", desk(broken=True))])
    assert bad.exit_code == 2
    assert (f"bad.yaml:{broken_line()}: elements[rating].questions[staff_polite].type: "
            "unknown question type") in bad.output
    criteria = line_of(desk(broken=True), "- staff_polite")
    assert f"bad.yaml:{criteria}: analysis.elements[staff].criteria[0]:" in bad.output
    missing = runner.invoke(args=["questionnaire", "check", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    published = runner.invoke(args=["questionnaire", "publish", _write(tmp_path, "d1.yaml", desk("1"))])
    assert published.exit_code == 0 and "Published desk@1." in published.output
    refused = runner.invoke(args=["questionnaire", "publish", _write(tmp_path, "d2.yaml", desk("2", codes=True))])
    assert refused.exit_code == 2 and "question 'trips': its choices were [1, 2, 3]" in refused.output
    reworded = runner.invoke(args=["questionnaire", "check", _write(tmp_path, "d3.yaml", desk("3", reword=True))])
    assert reworded.exit_code == 0 and "Reworded trips (label)" in reworded.output
    out = tmp_path / "out.yaml"
    exported = runner.invoke(args=["questionnaire", "export", "desk@1", "--format", "yaml", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert load_definition(out).content_hash == _q(desk("1")).content_hash
    xlsx = tmp_path / "out.xlsx"
    exported = runner.invoke(args=["questionnaire", "export", "desk", "--format", "xlsx", "-o", str(xlsx)])
    assert exported.exit_code == 0
    assert "survey" in load_workbook(io.BytesIO(xlsx.read_bytes())).sheetnames
    unknown = runner.invoke(args=["questionnaire", "export", "desk@9", "--format", "yaml", "-o", str(out)])
    assert unknown.exit_code == 2 and "no such published version" in unknown.output
