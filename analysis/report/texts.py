"""The fixed texts of the PDF report, in Vietnamese and English.

A plain dict rather than gettext: ``analysis/`` must run from a notebook or a bare
command line, where the app's compiled ``.mo`` catalogues may not exist (they are built by
``scripts/setup.sh``), and a missing catalogue makes gettext silently fall back to the
msgid, which would leak the fallback language into a report. A dict is always there, a
test proves every key exists in both languages, and formatting placeholders are checked
the same way. Questionnaire texts (element, criterion, indicator labels) are not here:
they come translated from the definition.
"""

from __future__ import annotations

import string

__all__ = ["LANGUAGES", "TEXTS", "messages", "text"]

LANGUAGES = ("vi", "en")

TEXTS: dict[str, dict[str, str]] = {
    # Cover, running header and footer
    "report_title": {
        "vi": "Báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ "
              "của cơ quan hành chính nhà nước",
        "en": "Report on the measured satisfaction of citizens and organisations with the "
              "services of state administrative agencies",
    },
    "short_title": {"vi": "Báo cáo chỉ số hài lòng", "en": "Satisfaction index report"},
    "cover_unit": {"vi": "Đơn vị", "en": "Unit"},
    "cover_wave": {"vi": "Đợt khảo sát", "en": "Survey wave"},
    "cover_period": {"vi": "Thời gian khảo sát", "en": "Survey period"},
    "cover_compare": {"vi": "So sánh với", "en": "Compared with"},
    "cover_questionnaire": {"vi": "Phiếu khảo sát", "en": "Questionnaire"},
    "cover_date": {"vi": "Ngày lập báo cáo", "en": "Report date"},
    "cover_responses": {"vi": "Số phiếu hợp lệ", "en": "Valid responses"},
    "cover_filter": {"vi": "Phạm vi phiếu", "en": "Responses included"},
    "filter_field": {"vi": "lĩnh vực: {name}", "en": "service field: {name}"},
    "filter_channel": {"vi": "hình thức nộp hồ sơ: {name}", "en": "channel: {name}"},
    "channel_in_person": {"vi": "trực tiếp", "en": "in person"},
    "channel_online": {"vi": "trực tuyến", "en": "online"},
    "channel_post": {"vi": "qua bưu chính", "en": "by post"},
    "period_range": {"vi": "từ {start} đến {end}", "en": "{start} to {end}"},
    "version_label": {"vi": "phiên bản {version}", "en": "version {version}"},
    "page_label": {"vi": "Trang", "en": "Page"},
    "toc_title": {"vi": "Mục lục", "en": "Contents"},
    # Headline
    "sec_summary": {"vi": "Kết quả chung", "en": "Overall result"},
    "headline_label": {"vi": "Chỉ số hài lòng về sự phục vụ hành chính",
                       "en": "Satisfaction Index of Public Administrative Services"},
    "ci95": {"vi": "Khoảng tin cậy 95%", "en": "95% confidence interval"},
    "n_label": {"vi": "Số phiếu hợp lệ", "en": "Valid responses"},
    "rank_label": {"vi": "Xếp hạng", "en": "Rank"},
    "rank_of": {"vi": "{rank}/{total} đơn vị cùng cấp", "en": "{rank} of {total} sibling units"},
    "rank_none": {"vi": "không xếp hạng (không có đơn vị cùng cấp)",
                  "en": "not ranked (no sibling units)"},
    "rank_up": {"vi": "tăng {n} bậc", "en": "up {n} places"},
    "rank_down": {"vi": "giảm {n} bậc", "en": "down {n} places"},
    "rank_same": {"vi": "giữ nguyên", "en": "unchanged"},
    "rank_new": {"vi": "kỳ trước chưa xếp hạng", "en": "not ranked before"},
    "previous_label": {"vi": "Kỳ trước ({wave})", "en": "Previous wave ({wave})"},
    "change_points": {"vi": "{sign}{value} điểm phần trăm", "en": "{sign}{value} percentage points"},
    "change_significant": {"vi": "thay đổi có ý nghĩa thống kê", "en": "statistically significant change"},
    "change_not_significant": {"vi": "thay đổi không có ý nghĩa thống kê",
                               "en": "change not statistically significant"},
    "small_sample_flag": {"vi": "mẫu nhỏ, cần thận trọng", "en": "small sample, use with caution"},
    # Elements and criteria
    "sec_elements": {"vi": "Chỉ số hài lòng theo yếu tố", "en": "Satisfaction index by element"},
    "chart_elements_alt": {
        "vi": "Biểu đồ thanh ngang: chỉ số hài lòng của {count} yếu tố, kèm khoảng tin cậy 95%. {items}",
        "en": "Horizontal bar chart: satisfaction index of {count} elements with 95% confidence "
              "intervals. {items}",
    },
    "chart_axis_index": {"vi": "Chỉ số hài lòng (%)", "en": "Satisfaction index (%)"},
    "chart_previous": {"vi": "Kỳ trước", "en": "Previous wave"},
    "chart_current": {"vi": "Kỳ này", "en": "This wave"},
    "sec_criteria": {"vi": "Chỉ số hài lòng theo tiêu chí", "en": "Satisfaction index by criterion"},
    "col_criterion": {"vi": "Tiêu chí", "en": "Criterion"},
    "col_element": {"vi": "Yếu tố", "en": "Element"},
    "col_index": {"vi": "Chỉ số (%)", "en": "Index (%)"},
    "col_ci": {"vi": "KTC 95% (%)", "en": "95% CI (%)"},
    "col_n": {"vi": "Số phiếu", "en": "Responses"},
    "col_change": {"vi": "Thay đổi (điểm %)", "en": "Change (points)"},
    "col_previous": {"vi": "Kỳ trước (%)", "en": "Previous (%)"},
    "col_current": {"vi": "Kỳ này (%)", "en": "This wave (%)"},
    "element_index_row": {"vi": "Chỉ số yếu tố", "en": "Element index"},
    "small_sample_note": {
        "vi": "Dòng in mờ, đánh dấu {mark}: mẫu nhỏ (dưới {min_n} phiếu hoặc hệ số biến thiên "
              "trên {max_cv}%), cần thận trọng khi sử dụng.",
        "en": "Greyed rows marked {mark}: small sample (fewer than {min_n} responses or a "
              "coefficient of variation above {max_cv}%); use with caution.",
    },
    "significance_note": {
        "vi": "Dấu * cạnh mức thay đổi: khác biệt so với kỳ trước có ý nghĩa thống kê ở mức 5%.",
        "en": "* next to a change: the difference from the previous wave is statistically "
              "significant at the 5% level.",
    },
    "no_data": {"vi": "không có dữ liệu", "en": "no data"},
    "no_previous": {"vi": "Không có kỳ so sánh.", "en": "No comparison wave."},
    # Indicators
    "sec_indicators": {"vi": "Các chỉ tiêu về chất lượng phục vụ", "en": "Service indicators"},
    "col_indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "col_direction": {"vi": "Chiều tốt", "en": "Better when"},
    "col_assessment": {"vi": "Đánh giá", "en": "Assessment"},
    "direction_lower": {"vi": "càng thấp càng tốt", "en": "lower is better"},
    "direction_higher": {"vi": "càng cao càng tốt", "en": "higher is better"},
    "trend_better": {"vi": "cải thiện", "en": "improved"},
    "trend_worse": {"vi": "xấu đi", "en": "worse"},
    "trend_same": {"vi": "không thay đổi đáng kể", "en": "no significant change"},
    "indicators_note": {
        "vi": "Tỷ lệ tính trên số người trả lời câu hỏi tương ứng (có trọng số).",
        "en": "Weighted shares of the respondents who answered the question concerned.",
    },
    # Ranking of the child units
    "sec_ranking": {"vi": "Xếp hạng các đơn vị trực thuộc", "en": "Ranking of the subordinate units"},
    "col_unit": {"vi": "Đơn vị", "en": "Unit"},
    "col_rank": {"vi": "Hạng", "en": "Rank"},
    "col_rank_change": {"vi": "Thay đổi hạng", "en": "Rank change"},
    "col_vs_parent": {"vi": "So với chỉ số chung", "en": "Versus the overall index"},
    "vs_above": {"vi": "cao hơn", "en": "above"},
    "vs_below": {"vi": "thấp hơn", "en": "below"},
    "vs_same": {"vi": "không khác biệt", "en": "no difference"},
    "unranked": {"vi": "không xếp hạng", "en": "not ranked"},
    "ranking_note": {
        "vi": "Các đơn vị được xếp hạng theo chỉ số hài lòng chung. {up} tăng bậc, {down} giảm bậc "
              "so với kỳ trước. {above} cao hơn, {below} thấp hơn: khác biệt so với chỉ số chung của "
              "{unit} có ý nghĩa thống kê ở mức 5%.",
        "en": "Units are ranked on the overall satisfaction index. {up} up, {down} down from the "
              "previous wave. {above} above, {below} below: the difference from the overall index "
              "of {unit} is statistically significant at the 5% level.",
    },
    "ranking_none": {"vi": "Đơn vị không có đơn vị trực thuộc có dữ liệu.",
                     "en": "The unit has no subordinate units with data."},
    # Expectations and priorities
    "sec_expectations": {"vi": "Mong đợi của người dân, tổ chức",
                         "en": "Expectations of citizens and organisations"},
    "col_priority": {"vi": "Thứ tự", "en": "Priority"},
    "col_expectation": {"vi": "Nội dung cần ưu tiên cải thiện", "en": "What should improve first"},
    "col_share": {"vi": "Tỷ lệ lựa chọn (%)", "en": "Share choosing it (%)"},
    "expectations_note": {
        "vi": "Mỗi người được chọn nhiều nội dung; tỷ lệ tính trên số người trả lời câu hỏi.",
        "en": "Each respondent may choose several items; shares are of those who answered.",
    },
    "expectations_none": {"vi": "Không có dữ liệu về mong đợi.", "en": "No data on expectations."},
    # Key drivers
    "sec_drivers": {"vi": "Ma trận ưu tiên cải thiện", "en": "Priority matrix"},
    "drivers_intro": {
        "vi": "Mỗi điểm là một yếu tố: trục ngang là mức độ quan trọng (mức độ gắn với sự hài "
              "lòng chung), trục dọc là kết quả thực hiện (chỉ số của yếu tố tại đơn vị). Mức độ "
              "quan trọng được ước lượng từ toàn bộ phiếu của đợt khảo sát. Các đường chia là giá "
              "trị trung bình của các yếu tố.",
        "en": "Each point is an element: across, its importance (how closely it goes with "
              "overall satisfaction); up, its performance (the unit's element index). Importance "
              "is estimated from all responses of the wave. The dividing lines are the means "
              "over the elements.",
    },
    "axis_importance": {"vi": "Mức độ quan trọng", "en": "Importance"},
    "axis_performance": {"vi": "Kết quả thực hiện (%)", "en": "Performance (%)"},
    "quad_concentrate": {"vi": "Ưu tiên cải thiện", "en": "Improve first"},
    "quad_keep": {"vi": "Tiếp tục phát huy", "en": "Keep up"},
    "quad_low": {"vi": "Ưu tiên thấp", "en": "Low priority"},
    "quad_overkill": {"vi": "Duy trì", "en": "Maintain"},
    "chart_drivers_alt": {
        "vi": "Biểu đồ điểm: mức độ quan trọng và kết quả thực hiện của {count} yếu tố. "
              "Yếu tố cần ưu tiên cải thiện: {items}.",
        "en": "Scatter chart: importance and performance of {count} elements. "
              "Elements to improve first: {items}.",
    },
    "col_importance": {"vi": "Mức độ quan trọng", "en": "Importance"},
    "col_quadrant": {"vi": "Nhóm", "en": "Quadrant"},
    "drivers_none": {"vi": "Không đủ dữ liệu để lập ma trận ưu tiên.",
                     "en": "Not enough data for a priority matrix."},
    "none_items": {"vi": "không có", "en": "none"},
    # Methodology appendix
    "sec_method": {"vi": "Phụ lục: Phương pháp", "en": "Appendix: Methodology"},
    "method_sample": {"vi": "Cỡ mẫu theo đơn vị", "en": "Sample size by unit"},
    "method_index_title": {"vi": "Cách tính chỉ số", "en": "How the indices are computed"},
    "method_index_share": {
        "vi": "Chỉ số của một tiêu chí là tỷ lệ (có trọng số) người trả lời {satisfied} trong số người "
              "đã trả lời tiêu chí đó (không tính câu trả lời «không có ý kiến»).",
        "en": "A criterion's index is the weighted share of respondents answering {satisfied} among "
              "those who answered it (\u201cnot applicable\u201d answers excluded).",
    },
    "method_index_mean100": {
        "vi": "Chỉ số của một tiêu chí là điểm trung bình (có trọng số) quy về thang 0–100: "
              "(điểm − 1) / 4 × 100.",
        "en": "A criterion's index is the weighted mean score rescaled to 0–100: (score − 1) / 4 × 100.",
    },
    "method_index_combine": {
        "vi": "Chỉ số yếu tố là trung bình (có trọng số) của các chỉ số tiêu chí; chỉ số chung là "
              "trung bình (có trọng số) của các chỉ số yếu tố.",
        "en": "An element's index is the weighted mean of its criteria indices; the overall index "
              "is the weighted mean of the element indices.",
    },
    "method_index_question": {
        "vi": "Chỉ số chung được tính từ câu hỏi về mức độ hài lòng chung.",
        "en": "The overall index is computed from the overall satisfaction question.",
    },
    "satisfied_levels": {"vi": "mức «Hài lòng» hoặc «Rất hài lòng»",
                         "en": "\u201csatisfied\u201d or \u201cvery satisfied\u201d"},
    "satisfied_custom": {"vi": "mức {levels} trên thang 1–5", "en": "{levels} on the 1–5 scale"},
    "method_weights_title": {"vi": "Quyền số", "en": "Weighting"},
    "method_weights": {
        "vi": "Mỗi phiếu đại diện cho các hồ sơ mà đơn vị đã giải quyết trong kỳ: trong mỗi ô "
              "(đơn vị × lĩnh vực), quyền số của một phiếu bằng số hồ sơ đã giải quyết chia cho số "
              "phiếu thu được. Ô có phiếu nhưng không có số hồ sơ (hoặc ngược lại) được gộp với các "
              "ô khác của cùng đơn vị.",
        "en": "Each response stands for the dossiers its unit resolved in the period: in each cell "
              "(unit × service field) a response's weight is the dossiers resolved divided by the "
              "responses received. Cells with responses but no dossiers (or the reverse) are pooled "
              "with the unit's other cells.",
    },
    "method_weights_cells": {"vi": "Số ô quyền số: {cells}.", "en": "Weighting cells: {cells}."},
    "method_raked": {"vi": "Quyền số được hiệu chỉnh theo cơ cấu dân số (giới tính × nhóm tuổi).",
                     "en": "Weights were raked to population margins (sex × age band)."},
    "method_trimmed": {"vi": "Quyền số quá lớn được cắt ngưỡng ở {limit}.",
                       "en": "Large weights were trimmed at {limit}."},
    "method_unweighted": {"vi": "Không có số hồ sơ của đợt: các phiếu có trọng số bằng nhau.",
                          "en": "The wave has no dossier counts: responses are weighted equally."},
    "method_ci_title": {"vi": "Khoảng tin cậy", "en": "Confidence intervals"},
    "method_ci": {
        "vi": "Sai số chuẩn được ước lượng bằng phương pháp tuyến tính hoá Taylor cho thiết kế phân "
              "tầng theo ô quyền số; khoảng tin cậy 95% dùng phân phối Student, và với các tỷ lệ "
              "được tính trên thang logit nên luôn nằm trong khoảng 0–100%.",
        "en": "Standard errors are estimated by Taylor linearisation for a design stratified by "
              "weighting cell; 95% confidence intervals use Student's t distribution and, for "
              "shares, are computed on the logit scale so that they stay within 0–100%.",
    },
    "method_suppression_title": {"vi": "Quy tắc về mẫu nhỏ", "en": "Small-sample rule"},
    "method_suppression": {
        "vi": "Kết quả dựa trên dưới {min_n} phiếu hoặc có hệ số biến thiên trên {max_cv}% được "
              "đánh dấu là mẫu nhỏ và in mờ. Đơn vị không có phiếu không được tính chỉ số và "
              "không được xếp hạng.",
        "en": "Results based on fewer than {min_n} responses or with a coefficient of variation "
              "above {max_cv}% are flagged as small samples and greyed. Units without responses "
              "get no index and no rank.",
    },
    "method_questionnaire": {
        "vi": "Phiếu khảo sát «{title}», mã {qid}, phiên bản {version}.",
        "en": "Questionnaire \u201c{title}\u201d, id {qid}, version {version}.",
    },
    "col_dossiers": {"vi": "Số hồ sơ đã giải quyết", "en": "Dossiers resolved"},
    "method_total": {"vi": "Tổng cộng", "en": "Total"},
    "method_filter": {
        "vi": "Báo cáo này chỉ tính các phiếu thuộc phạm vi sau: {filter}. Chỉ số, khoảng tin cậy, "
              "xếp hạng và so sánh với kỳ trước đều được tính trên riêng các phiếu này, nên có thể "
              "khác với báo cáo của toàn đợt khảo sát.",
        "en": "This report counts only these responses: {filter}. Indices, confidence intervals, "
              "ranks and the comparison with the previous wave are all computed on these "
              "responses alone, so they may differ from the report on the whole wave.",
    },
    # A unit without responses
    "empty_title": {"vi": "Chưa có phiếu khảo sát", "en": "No responses yet"},
    "empty_text": {
        "vi": "Đơn vị {unit} chưa có phiếu khảo sát hợp lệ nào trong đợt {wave}, vì vậy chưa thể "
              "tính chỉ số hài lòng. Báo cáo sẽ có số liệu khi đơn vị nhận được phiếu trả lời.",
        "en": "The unit {unit} has no valid responses in the wave {wave}, so no satisfaction "
              "index can be computed yet. The report will have figures once responses arrive.",
    },
}


def messages(lang: str) -> dict[str, str]:
    """Return every fixed text in ``lang`` (``vi`` or ``en``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported report language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return {key: texts[lang] for key, texts in TEXTS.items()}


def text(lang: str, key: str, **params) -> str:
    """Return the text ``key`` in ``lang`` with ``params`` filled in."""
    return TEXTS[key][lang].format(**params) if params else TEXTS[key][lang]


def placeholders(template: str) -> set[str]:
    """Names of the ``{placeholders}`` of a text (used by the completeness test)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
