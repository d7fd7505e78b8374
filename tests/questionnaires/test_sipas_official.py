"""The bundled SIPAS questionnaire is the Ministry's instrument (QĐ 2640/QĐ-BNV, 2017)."""

from questionnaires import check_answers, load_bundled
from questionnaires.types import NA_WORDS, NOT_APPLICABLE_WORDS

# Five elements, 22 criteria: 4/5/6/3/4 (Đề án 2017-2020).
OFFICIAL = {
    "access": ["access_seating", "access_equip_full", "access_equip_modern", "access_equip_easy"],
    "procedures": ["proc_public", "proc_public_accurate", "proc_documents", "proc_fees",
                   "proc_time"],
    "staff": ["staff_polite", "staff_listen", "staff_answers_full", "staff_guidance_careful",
              "staff_guidance_clear", "staff_rules"],
    "results": ["result_lawful", "result_complete", "result_accurate"],
    "feedback": ["feedback_channel", "feedback_easy", "feedback_handled_active",
                 "feedback_informed"],
}
# Statements quoted word for word by the published summaries of the decision.
QUOTED = {
    "proc_public": "Thủ tục hành chính được niêm yết công khai đầy đủ",
    "proc_time": "Thời hạn giải quyết (tính từ hồ sơ được tiếp nhận đến ngày trả kết quả) là "
                 "đúng quy định",
    "staff_polite": "Công chức có thái độ giao tiếp lịch sự",
    "staff_guidance_careful": "Công chức hướng dẫn kê khai hồ sơ tận tình, chu đáo",
    "staff_rules": "Công chức tuân thủ đúng quy định trong giải quyết công việc",
    "feedback_informed": "Cơ quan giải quyết thủ tục hành chính/Bộ phận tiếp nhận và trả kết quả "
                         "có thông báo kết quả xử lý góp ý, phản ánh, kiến nghị kịp thời",
}


def test_the_22_official_criteria_in_their_elements():
    q = load_bundled("sipas")
    got = {e.id: [c.question for c in e.criteria] for e in q.analysis.elements}
    assert got == OFFICIAL
    assert sum(map(len, got.values())) == 22
    for qid, text in QUOTED.items():
        assert q.questions[qid].label["vi"] == text
    # The local additions are asked but are criteria of nothing.
    criteria = {c for ids in got.values() for c in ids}
    local = [x.id for x in q.questions.values() if x.element_id == "local"]
    assert local == ["access_info", "access_signage", "access_premises", "result_fair"]
    assert not criteria & set(local) and "result_on_time" not in q.questions


def _answers(**over):
    base = {"respondent_type": "organisation", "channel": "online_full",
            "result_received": "false", "harassment": "none", "extra_payment": "none",
            "feedback_sent": "false"}
    base.update(over)
    return base


def test_result_questions_only_for_those_who_received_the_result():
    q = load_bundled("sipas")
    waiting = check_answers(q, _answers(late="false", result_lawful="4"))
    assert [(e.question_id, e.code) for e in waiting.errors if e.code != "required"] == [
        ("late", "not_relevant"), ("result_lawful", "not_relevant")]
    # Nothing of the results element is required of someone still waiting.
    results = {x.id for x in q.questions.values() if x.element_id == "results"}
    assert not [e for e in waiting.errors if e.question_id in results and e.code == "required"]
    got = check_answers(q, _answers(result_received="true", late="true", apology="false",
                                    result_lawful="5", result_complete="4",
                                    result_accurate="3", result_overall="4"))
    assert [e.code for e in got.errors if e.question_id in results] == []
    assert got.values["result_lawful"] == 5 and got.values["respondent_type"] == "organisation"


def test_not_applicable_and_no_opinion_are_two_options_whose_explanations_match():
    q = load_bundled("sipas")
    assert NA_WORDS == {"vi": "Không có ý kiến", "en": "No opinion"}
    assert NOT_APPLICABLE_WORDS == {"vi": "Không áp dụng", "en": "Not applicable"}
    both = 0
    for question in q.questions.values():
        if question.type != "scale":
            continue
        options = {o.value: o.label for o in question.kind.options(question)}
        for text in (question.explain or {}, question.hint or {}):
            for lang, words in text.items():
                for code, label in ((c, w) for c, w in
                                    (("na", NA_WORDS), ("not_applicable", NOT_APPLICABLE_WORDS))):
                    if f'"{label[lang]}"' in words:
                        assert code in options, (question.id, lang, label[lang])
                        both += 1
    assert both >= 16   # every criterion explaining a non-answer names an option it offers
    assert check_answers(q, _answers(channel="in_person", trips="1",
                                     access_equip_full="not_applicable")).values[
        "access_equip_full"] == "not_applicable"
    refused = check_answers(q, _answers(channel="in_person", trips="1",
                                        access_seating="not_applicable"))
    assert ("access_seating", "not_a_choice") in [(e.question_id, e.code) for e in refused.errors]


def test_apology_names_the_official_slip_and_terms_are_explained():
    q = load_bundled("sipas")
    assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả" in q.questions["apology"].explain["vi"]
    assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả" in q.questions["apology"].label["vi"] \
        or "Phiếu xin lỗi" in q.questions["apology"].label["vi"]
    access = next(e for e in q.elements if e.id == "access")
    assert "Dịch vụ hành chính công là" in access.intro["vi"]
    assert "xử lý theo đúng quy định" in q.questions["result_lawful"].explain["vi"]
    assert "handled" not in q.questions["result_lawful"].explain["vi"]
