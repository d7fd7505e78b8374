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
    "small_sample_flag": {"vi": "chưa đủ mẫu theo chuẩn công bố số liệu",
                          "en": "insufficient sample under the presentation standard"},
    "suppressed": {"vi": "chưa đủ mẫu", "en": "insufficient sample"},
    "not_comparable": {"vi": "không so sánh được", "en": "not comparable"},
    "rank_interval": {"vi": "(khoảng hạng {low}–{high})", "en": "(likely {low}–{high})"},
    "family_holm": {
        "vi": "Dấu △/▽ dựa trên {size} kiểm định của các đơn vị trực thuộc {unit} ({leagues} "
              "nhóm cùng loại), hiệu chỉnh theo phương pháp Holm trong mỗi nhóm, mức {level}.",
        "en": "The △/▽ marks rest on {size} tests of the units under {unit} ({leagues} groups "
              "of one kind), Holm-adjusted within each group, at the {level} level.",
    },
    "family_bh": {
        "vi": "Dấu △/▽ dựa trên {size} kiểm định của các đơn vị trực thuộc {unit} ({leagues} "
              "nhóm cùng loại), hiệu chỉnh Benjamini–Hochberg trong mỗi nhóm, mức {level}.",
        "en": "The △/▽ marks rest on {size} tests of the units under {unit} ({leagues} groups "
              "of one kind), Benjamini–Hochberg-adjusted within each group, at the {level} level.",
    },
    "family_none": {
        "vi": "Dấu △/▽ dựa trên {size} kiểm định của các đơn vị trực thuộc {unit} ({leagues} "
              "nhóm cùng loại), mỗi kiểm định ở mức {level}, không hiệu chỉnh so sánh bội.",
        "en": "The △/▽ marks rest on {size} tests of the units under {unit} ({leagues} groups "
              "of one kind), each at the {level} level, without a multiple-comparison adjustment.",
    },
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
        "vi": "«Chưa đủ mẫu»: số liệu không đạt chuẩn công bố (cỡ mẫu hiệu dụng dưới {min_n} hoặc "
              "khoảng tin cậy quá rộng), không được công bố, xếp hạng hay so sánh.",
        "en": "\u201cInsufficient sample\u201d: the figure fails the presentation standard "
              "(effective sample size below {min_n} or too wide an interval) and is not shown, "
              "ranked or compared.",
    },
    "significance_note": {
        "vi": "Dấu * cạnh mức thay đổi: khác biệt so với kỳ trước có ý nghĩa thống kê ở mức 5% "
              "(hai mẫu độc lập, kiểm định t).",
        "en": "* next to a change: the difference from the previous wave is statistically "
              "significant at the 5% level (independent samples, t test).",
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
    # PAR Index survey points
    "sec_points": {"vi": "Điểm điều tra xã hội học của Chỉ số cải cách hành chính",
                   "en": "PAR Index survey points"},
    "col_points_component": {"vi": "Nội dung tính điểm", "en": "Scored item"},
    "col_points_index": {"vi": "Chỉ số dùng để quy đổi", "en": "Index converted"},
    "col_points": {"vi": "Điểm đạt được", "en": "Points"},
    "col_points_max": {"vi": "Điểm tối đa", "en": "Maximum"},
    "col_points_rank": {"vi": "Xếp hạng theo điểm", "en": "Rank on points"},
    "points_overall": {"vi": "Chỉ số hài lòng chung", "en": "Overall index"},
    "points_total": {"vi": "Tổng điểm", "en": "Total points"},
    "points_rank": {"vi": "{rank}/{of}", "en": "{rank} of {of}"},
    "points_note": {
        "vi": "Điểm được quy đổi từ chỉ số theo bảng quy đổi trong định nghĩa phiếu, phiên bản "
              "Chỉ số cải cách hành chính {edition} ({source}). Xếp hạng chỉ so sánh các đơn vị "
              "cùng loại trực thuộc cùng một đơn vị cấp trên; đơn vị chưa đủ mẫu không được xếp "
              "hạng.",
        "en": "Points are converted from the indices by the table in the questionnaire "
              "definition, PAR Index edition {edition} ({source}). Ranks compare only units of "
              "the same kind under the same parent; units with too small a sample are not "
              "ranked.",
    },
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
        "vi": "Các đơn vị được xếp hạng theo chỉ số hài lòng chung, kèm khoảng hạng có thể. {up} "
              "tăng bậc, {down} giảm bậc so với kỳ trước (chỉ khi vượt quá độ bất định của thứ "
              "hạng). {above} cao hơn, {below} thấp hơn: khác biệt so với chỉ số chung của {unit} "
              "có ý nghĩa thống kê sau khi hiệu chỉnh so sánh bội.",
        "en": "Units are ranked on the overall satisfaction index, with their likely ranks. {up} "
              "up, {down} down from the previous wave (only beyond the uncertainty of the "
              "ranks). {above} above, {below} below: the difference from the overall index of "
              "{unit} is statistically significant after the multiple-comparison adjustment.",
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
    "method_raked": {"vi": "Quyền số được hiệu chỉnh (raking) theo cơ cấu dân số của các biến: "
                           "{margins}; vẫn giữ tổng số hồ sơ của từng ô đơn vị × lĩnh vực.",
                     "en": "Weights were raked to the population margins of: {margins}; the "
                           "dossier totals of every unit × field cell were kept."},
    "method_trimmed": {"vi": "Quyền số quá lớn được cắt ngưỡng ở {limit}.",
                       "en": "Large weights were trimmed at {limit}."},
    "method_unweighted": {"vi": "Không có số hồ sơ của đợt: các phiếu có trọng số bằng nhau.",
                          "en": "The wave has no dossier counts: responses are weighted equally."},
    "method_quality_excluded": {
        "vi": "Kiểm tra chất lượng dữ liệu: {n} phiếu của đợt bị loại khỏi phân tích ({rule}); "
              "theo cờ: {flags}.",
        "en": "Data-quality checks: {n} responses of the wave were excluded from the analysis "
              "({rule}); by flag: {flags}."},
    "method_quality_included": {
        "vi": "{n} phiếu có cờ chất lượng dữ liệu vẫn được tính; theo cờ: {flags}.",
        "en": "{n} responses carrying a data-quality flag are included; by flag: {flags}."},
    "method_quality_none": {"vi": "Kiểm tra chất lượng dữ liệu: không phiếu nào bị loại khỏi phân tích.",
                            "en": "Data-quality checks: no response was excluded from the analysis."},
    "quality_rule_confirmed": {"vi": "phiếu có cờ đã được xác nhận",
                               "en": "responses with a confirmed flag"},
    "quality_rule_flagged": {"vi": "mọi phiếu có cờ chưa được gỡ",
                             "en": "every response with a flag that was not cleared"},
    "quality_rule_none": {"vi": "không loại phiếu nào", "en": "no response is excluded"},
    "flag_too_fast": {"vi": "trả lời quá nhanh", "en": "completed too fast"},
    "flag_straightline": {"vi": "chọn cùng một mức cho mọi câu thang đo",
                          "en": "same answer to every scale question"},
    "flag_burst": {"vi": "tăng đột biến tại điểm tiếp nhận", "en": "burst at the service point"},
    "flag_near_duplicate": {"vi": "phiếu gần trùng nhau", "en": "near-identical responses"},
    "method_ci_title": {"vi": "Sai số và khoảng tin cậy", "en": "Standard errors and confidence intervals"},
    "method_ci": {
        "vi": "Thiết kế mẫu được coi là phân tầng theo ô quyền số (đơn vị × lĩnh vực), mỗi phiếu là "
              "một đơn vị mẫu, có hiệu chỉnh tổng thể hữu hạn theo số hồ sơ của tầng. Sai số chuẩn "
              "được ước lượng bằng phương pháp tuyến tính hoá Taylor. Bậc tự do của mỗi ước lượng "
              "là số đơn vị mẫu trừ số tầng có phiếu trong phạm vi của ước lượng đó, nên đơn vị nhỏ "
              "có khoảng tin cậy rộng hơn.",
        "en": "The design is taken as stratified by weighting cell (unit × service field), each "
              "response a sampling unit, with the finite population correction from the "
              "stratum's dossiers. Standard errors come from Taylor linearisation. Each estimate's "
              "degrees of freedom are its sampling units minus the strata with responses in its "
              "domain, so small units get wider intervals.",
    },
    "method_ci_shares": {
        "vi": "Tỷ lệ (tiêu chí, chỉ tiêu, mong đợi): khoảng tin cậy Korn–Graubard, tức khoảng "
              "Clopper–Pearson tính với cỡ mẫu hiệu dụng và bậc tự do của thiết kế "
              "(như svyciprop(method=\"beta\") của gói survey trong R). Tỷ lệ 0% hoặc 100% vẫn có "
              "khoảng tin cậy, không bao giờ có sai số bằng 0.",
        "en": "Shares (criteria, indicators, expectations): Korn–Graubard intervals, that is "
              "Clopper–Pearson with the effective sample size and the design degrees of freedom "
              "(as svyciprop(method=\"beta\") of R's survey package). A share of 0% or 100% still "
              "gets an interval, never a standard error of 0.",
    },
    "method_ci_indices": {
        "vi": "Chỉ số yếu tố và chỉ số chung: ước lượng ± t(bậc tự do của thiết kế) × sai số "
              "chuẩn, giới hạn trong khoảng 0–100.",
        "en": "Element and overall indices: estimate ± t(design degrees of freedom) × standard "
              "error, kept within 0–100.",
    },
    "method_lonely": {
        "vi": "Tầng chỉ có một đơn vị mẫu được xử lý như tuỳ chọn survey.lonely.psu của R "
              "(mặc định «adjust»: lấy độ lệch so với trung bình chung).",
        "en": "A stratum with a single sampling unit is handled as R's survey.lonely.psu option "
              "says (default \u201cadjust\u201d: its deviation from the grand mean).",
    },
    "method_suppression_title": {"vi": "Chuẩn công bố số liệu", "en": "Presentation standard"},
    "method_suppression": {
        "vi": "Theo Chuẩn công bố tỷ lệ của Trung tâm Thống kê Y tế Quốc gia Hoa Kỳ (NCHS, 2017), "
              "một số liệu «chưa đủ mẫu» khi cỡ mẫu hiệu dụng dưới {min_n}, khi khoảng tin cậy "
              "rộng từ {width} trở lên, hoặc khi khoảng tin cậy rộng hơn {rel_from} và độ rộng "
              "tương đối vượt {rel}. Số liệu chưa đủ mẫu không được công bố, không được xếp hạng "
              "và không được so sánh; số liệu có dưới {min_df} bậc tự do cần đọc thận trọng. Mỗi "
              "số liệu kèm số phiếu và cỡ mẫu hiệu dụng.",
        "en": "Following the NCHS Data Presentation Standards for Proportions (2017), a figure "
              "has an \u201cinsufficient sample\u201d when its effective sample size is below "
              "{min_n}, its confidence interval is {width} wide or more, or the interval is wider "
              "than {rel_from} and its relative width exceeds {rel}. Such figures are not shown, "
              "not ranked and not compared; figures with fewer than {min_df} degrees of freedom "
              "are to be read with care. Every figure carries its responses and effective "
              "sample size.",
    },
    "method_tests_title": {"vi": "So sánh, kiểm định và xếp hạng",
                           "en": "Comparisons, tests and rankings"},
    "method_tests": {
        "vi": "Mỗi đơn vị trực thuộc được so sánh với đơn vị cấp trên bằng kiểm định t trên hiệu "
              "số của hai ước lượng (có tính đến phần chồng lấn), ở mức ý nghĩa {level}. Với tỷ "
              "lệ, phương sai của đơn vị được lấy theo giả thuyết không, và chỉ kiểm định khi đơn "
              "vị có ít nhất {min_events} sự kiện và không sự kiện kỳ vọng.",
        "en": "Each subordinate unit is compared with its parent by a t test on the difference "
              "of the two estimates (their overlap accounted for), at the {level} level. For "
              "shares the unit's variance is taken under the null hypothesis, and a unit is "
              "tested only when it expects at least {min_events} events and non-events.",
    },
    "method_multiple_holm": {
        "vi": "Họ kiểm định: một chỉ số của các đơn vị cùng loại trực thuộc cùng một đơn vị cấp "
              "trên; các giá trị p trong mỗi họ được hiệu chỉnh theo phương pháp Holm.",
        "en": "Test family: one measure among the units of the same kind under one parent; the "
              "p-values of each family are adjusted with Holm's method.",
    },
    "method_multiple_bh": {
        "vi": "Họ kiểm định: một chỉ số của các đơn vị cùng loại trực thuộc cùng một đơn vị cấp "
              "trên; các giá trị p trong mỗi họ được hiệu chỉnh theo phương pháp "
              "Benjamini–Hochberg.",
        "en": "Test family: one measure among the units of the same kind under one parent; the "
              "p-values of each family are adjusted with the Benjamini–Hochberg method.",
    },
    "method_multiple_none": {
        "vi": "Các giá trị p không được hiệu chỉnh cho so sánh bội.",
        "en": "The p-values are not adjusted for multiple comparisons.",
    },
    "method_ranks": {
        "vi": "Chỉ xếp hạng các đơn vị cùng loại trực thuộc cùng một đơn vị cấp trên. Khoảng hạng "
              "có thể (bách phân vị 2,5 và 97,5) được mô phỏng {draws} lần từ các ước lượng và sai "
              "số chuẩn của chúng; thay đổi thứ hạng chỉ được nêu khi hạng kỳ trước nằm ngoài "
              "khoảng hạng kỳ này và ngược lại.",
        "en": "Only units of the same kind under the same parent are ranked. The likely ranks "
              "(2.5th and 97.5th percentiles) are simulated {draws} times from the estimates and "
              "their standard errors; a rank change is reported only when the previous rank lies "
              "outside this wave's likely ranks and the reverse.",
    },
    "method_changes": {
        "vi": "Thay đổi so với kỳ trước: hai đợt là hai mẫu độc lập; hiệu số được kiểm định bằng "
              "kiểm định t với bậc tự do Satterthwaite, và chỉ được coi là cải thiện hoặc xấu đi "
              "khi có ý nghĩa thống kê, theo chiều tốt của từng chỉ số.",
        "en": "Changes since the previous wave: the two waves are independent samples; the "
              "difference is tested by a t test with Satterthwaite degrees of freedom and called "
              "better or worse only when significant, in each measure's better direction.",
    },
    "method_domain_title": {"vi": "Phạm vi con (lĩnh vực, hình thức nộp)",
                            "en": "Subsets (service field, channel)"},
    "method_domain": {
        "vi": "Số liệu theo một lĩnh vực hoặc một hình thức nộp hồ sơ là ước lượng miền con của "
              "toàn bộ thiết kế mẫu: quyền số, tầng và hiệu chỉnh tổng thể hữu hạn là của cả đợt "
              "khảo sát, chỉ các tổng được giới hạn trong miền con. Vì vậy bảng điều khiển, báo "
              "cáo và tệp dữ liệu xuất (cột weight, stratum, fpc) cho cùng một số liệu.",
        "en": "Figures for one service field or channel are domain estimates of the full design: "
              "the weights, strata and finite population correction are those of the whole "
              "wave and only the totals are restricted to the domain. So the dashboard, the "
              "report and the exported data (columns weight, stratum, fpc) give the same figure.",
    },
    "method_questionnaire": {
        "vi": "Phiếu khảo sát «{title}», mã {qid}, phiên bản {version}.",
        "en": "Questionnaire \u201c{title}\u201d, id {qid}, version {version}.",
    },
    "col_dossiers": {"vi": "Số hồ sơ đã giải quyết", "en": "Dossiers resolved"},
    "method_total": {"vi": "Tổng cộng", "en": "Total"},
    "method_filter": {
        "vi": "Báo cáo này chỉ tính các phiếu thuộc phạm vi sau: {filter}. Mỗi chỉ số, khoảng tin "
              "cậy, xếp hạng và so sánh với kỳ trước là ước lượng miền con của toàn bộ mẫu (xem "
              "mục phạm vi con), nên có thể khác với báo cáo của toàn đợt khảo sát.",
        "en": "This report counts only these responses: {filter}. Every index, confidence "
              "interval, rank and comparison with the previous wave is a domain estimate of the "
              "whole sample (see the section on subsets), so it may differ from the report on "
              "the whole wave.",
    },
    # Tables by field and channel, responses against dossiers, trend
    "sec_breakdown": {"vi": "Chỉ số chung theo lĩnh vực và hình thức nộp hồ sơ",
                      "en": "Overall index by service field and channel"},
    "breakdown_note": {
        "vi": "Mỗi dòng là chỉ số chung của đơn vị trên các phiếu của một lĩnh vực hoặc một hình "
              "thức nộp hồ sơ của cả đợt, ước lượng miền con của toàn bộ mẫu.",
        "en": "Each row is the unit's overall index among the responses of one service field or "
              "channel in the whole wave, a domain estimate of the full sample.",
    },
    "col_field": {"vi": "Lĩnh vực", "en": "Service field"},
    "col_channel": {"vi": "Hình thức nộp hồ sơ", "en": "Channel"},
    "col_n_eff": {"vi": "Cỡ mẫu hiệu dụng", "en": "Effective n"},
    "col_rank_interval": {"vi": "Khoảng hạng", "en": "Likely ranks"},
    "sec_counts": {"vi": "Số phiếu so với số hồ sơ", "en": "Responses against dossiers"},
    # How the responses reached the platform (Response.mode)
    "modes_intro": {"vi": "Cách thu thập phiếu của đơn vị và các đơn vị trực thuộc trong đợt:",
                    "en": "How the responses of the unit and the units below it were collected:"},
    "mode_web": {"vi": "đường dẫn công khai (áp phích)", "en": "public link (posters)"},
    "mode_code": {"vi": "mã dùng một lần (phiếu hẹn)", "en": "one-time code (receipt slip)"},
    "mode_kiosk": {"vi": "máy kiosk tại quầy", "en": "kiosk at the desk"},
    "mode_api": {"vi": "phần mềm khác (API)", "en": "other software (API)"},
    "col_fraction": {"vi": "Tỷ lệ lấy mẫu", "en": "Sampling fraction"},
    "counts_note": {
        "vi": "Số phiếu thu được, số hồ sơ đã giải quyết và tỷ lệ lấy mẫu theo lĩnh vực, tính cho "
              "đơn vị và các đơn vị trực thuộc.",
        "en": "Responses received, dossiers resolved and the sampling fraction per service field, "
              "for the unit and the units below it.",
    },
    "sec_trend": {"vi": "Diễn biến qua các đợt khảo sát", "en": "Trend across the waves"},
    "col_wave": {"vi": "Đợt khảo sát", "en": "Survey wave"},
    "col_verdict": {"vi": "So với đợt liền trước", "en": "Against the wave before"},
    "trend_note": {
        "vi": "Thay đổi được đánh giá là cải thiện hoặc xấu đi chỉ khi có ý nghĩa thống kê (dấu *).",
        "en": "A change is called better or worse only when it is statistically significant (*).",
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
