"""Fixed texts of the exports (Vietnamese by default, English on request).

Questionnaire texts come from the definition itself; these are the texts the platform
adds around them: meta columns, 0/1 choice columns and the codebook headers.  The names
of the question types (codebook "type") come from the registry, questionnaires.types.
"""

from __future__ import annotations

LANGS = ("vi", "en")

# The words of the 1–5 scale, of "na" (coded 9) and of yes/no belong to their question
# types (questionnaires.types): each type declares its export values and labels once.
CHOSEN = {"vi": {1: "Có chọn", 0: "Không chọn"}, "en": {1: "Selected", 0: "Not selected"}}

META_LABELS = {
    "vi": {
        "row": "Số thứ tự phiếu",
        "unit_code": "Mã đơn vị",
        "unit_name": "Tên đơn vị",
        "service_point": "Mã bộ phận tiếp nhận và trả kết quả",
        "service_field": "Mã lĩnh vực thủ tục hành chính",
        "channel": "Hình thức nộp hồ sơ",
        "mode": "Cách thức trả lời phiếu",
        "submitted_date": "Ngày gửi phiếu",
        "weight": "Trọng số (số hồ sơ đã giải quyết / số phiếu của ô đơn vị × lĩnh vực)",
        "stratum": "Tầng (ô đơn vị × lĩnh vực dùng để tính trọng số)",
        "fpc": "Số hồ sơ đã giải quyết của tầng (N_h, hiệu chỉnh tổng thể hữu hạn)",
    },
    "en": {
        "row": "Row number",
        "unit_code": "Unit code",
        "unit_name": "Unit name",
        "service_point": "Service point code",
        "service_field": "Service field code",
        "channel": "Submission channel",
        "mode": "Answering mode",
        "submitted_date": "Date submitted",
        "weight": "Weight (dossiers resolved / responses in the unit × field cell)",
        "stratum": "Stratum (the unit × field cell the weight was computed in)",
        "fpc": "Dossiers resolved in the stratum (N_h, finite population correction)",
    },
}
# Response.channel and Response.mode, when the questionnaire has no channel question.
META_VALUES = {
    "vi": {
        "channel": {"in_person": "Trực tiếp tại Bộ phận Một cửa", "online": "Trực tuyến",
                    "post": "Qua dịch vụ bưu chính công ích"},
        "mode": {"web": "Trang web", "kiosk": "Máy tính bảng tại quầy", "api": "Qua API"},
    },
    "en": {
        "channel": {"in_person": "In person at the one-stop desk", "online": "Online",
                    "post": "By post"},
        "mode": {"web": "Web page", "kiosk": "Kiosk tablet at the desk", "api": "Through the API"},
    },
}

KINDS = {
    "vi": {"meta": "Thông tin phiếu", "choice": "Lựa chọn (0/1)", "date": "Ngày",
           "number": "Số thực"},
    "en": {"meta": "Response information", "choice": "Choice (0/1)", "date": "Date",
           "number": "Number"},
}

# Codebook headers: officials read them, so they are localised; the keys are stable.
CODEBOOK_HEADERS = {
    "vi": {"variable": "Biến", "label": "Nhãn biến", "kind": "Kiểu", "element": "Phần",
           "question": "Câu hỏi", "value": "Giá trị (CSV, XLSX)", "code": "Mã (SPSS, Stata)",
           "value_label": "Nhãn giá trị", "note": "Ghi chú"},
    "en": {"variable": "Variable", "label": "Variable label", "kind": "Type", "element": "Section",
           "question": "Question", "value": "Value (CSV, XLSX)", "code": "Code (SPSS, Stata)",
           "value_label": "Value label", "note": "Note"},
}
NOTES = {
    "vi": {
        "multiple_csv": "CSV: các giá trị được chọn, cách nhau bởi dấu cách; "
                        "XLSX, SPSS, Stata: một cột 0/1 cho mỗi lựa chọn",
        "na_code": "Trong SPSS và Stata: mã 9 (khai báo là giá trị khuyết trong SPSS)",
        "not_applicable_code": "Trong SPSS và Stata: mã 8 (khai báo là giá trị khuyết trong SPSS)",
        "both_non_answers_code": "Trong SPSS và Stata: «Không áp dụng» mã 8, «Không có ý kiến» "
                                 "mã 9 (cả hai khai báo là giá trị khuyết trong SPSS)",
        "yesno_csv": "CSV: true/false",
        "text": "Ý kiến nguyên văn của người trả lời (đã loại bỏ ký tự điều khiển)",
        "single_codes": "SPSS, Stata: mã số theo thứ tự lựa chọn",
        "weight": "Để trống khi đơn vị không có số liệu hồ sơ đã giải quyết",
        "stratum": "đơn vị|lĩnh vực; *rest: các ô nhỏ của đơn vị gộp lại; *all: cả đơn vị là một tầng",
    },
    "en": {
        "multiple_csv": "CSV: the chosen values separated by spaces; "
                        "XLSX, SPSS, Stata: one 0/1 column per choice",
        "na_code": "In SPSS and Stata: code 9 (declared user-missing in SPSS)",
        "not_applicable_code": "In SPSS and Stata: code 8 (declared user-missing in SPSS)",
        "both_non_answers_code": "In SPSS and Stata: \"Not applicable\" code 8, \"No opinion\" "
                                 "code 9 (both declared user-missing in SPSS)",
        "yesno_csv": "CSV: true/false",
        "text": "The respondent's own words (control characters removed)",
        "single_codes": "SPSS, Stata: numeric codes in the order of the choices",
        "weight": "Empty when the unit has no figures of dossiers resolved",
        "stratum": "unit|field; *rest: the unit's small cells pooled; *all: the whole unit is one stratum",
    },
}
SHEETS = {"vi": {"data": "Dữ liệu", "codebook": "Từ điển biến", "table": "Bảng kết quả"},
          "en": {"data": "Data", "codebook": "Codebook", "table": "Results"}}

# Headers of result tables (analysis.sipas result frames); unknown columns keep their name.
TABLE_HEADERS = {
    "vi": {"unit_code": "Mã đơn vị", "unit_name": "Tên đơn vị", "name": "Tên", "depth": "Cấp",
           "kind": "Loại", "id": "Mã chỉ số", "label": "Chỉ số", "value": "Giá trị (%)",
           "se": "Sai số chuẩn", "ci_low": "Cận dưới KTC 95%", "ci_high": "Cận trên KTC 95%",
           "df": "Bậc tự do", "n": "Số phiếu", "dossiers": "Số hồ sơ", "cv": "Hệ số biến thiên",
           "diff_parent": "Chênh lệch so với cấp trên", "se_diff_parent": "Sai số chuẩn của chênh lệch",
           "p_parent": "Giá trị p so với cấp trên", "vs_parent": "So với cấp trên",
           "small_sample": "Mẫu nhỏ", "status": "Tình trạng", "rank": "Xếp hạng",
           "rank_change": "Thay đổi thứ hạng", "previous_rank": "Thứ hạng kỳ trước"},
    "en": {"unit_code": "Unit code", "unit_name": "Unit name", "name": "Name", "depth": "Level",
           "kind": "Kind", "id": "Index id", "label": "Index", "value": "Value (%)",
           "se": "Standard error", "ci_low": "95% CI low", "ci_high": "95% CI high",
           "df": "Degrees of freedom", "n": "Responses", "dossiers": "Dossiers",
           "cv": "Coefficient of variation", "diff_parent": "Difference from parent",
           "se_diff_parent": "SE of the difference", "p_parent": "p-value against parent",
           "vs_parent": "Against parent", "small_sample": "Small sample", "status": "Status",
           "rank": "Rank", "rank_change": "Rank change", "previous_rank": "Previous rank"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if exports have texts in it; raise ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"unknown export language {lang!r}; use one of {', '.join(LANGS)}")
    return lang
