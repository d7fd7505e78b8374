"""The built-in question types: scale, single, multiple, integer, yesno, text, note.

Adding a type means adding one entry here (or calling :func:`register` elsewhere) plus
its partial template in ``survey/templates/public/types/`` when no existing one fits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..messages import N_

from .base import (UNANSWERED, AnswerError, ExportSpec, FormReading, Option, QuestionType,
                   is_int)

if TYPE_CHECKING:  # the loader's checker imports the model, which imports the registry
    from ..validation import At, Checker

SCALE_VALUES = (1, 2, 3, 4, 5)
# The words of the 1–5 scale, shown on the form and in the exports' value labels.
SCALE_WORDS = {
    1: {"vi": "Rất không hài lòng", "en": "Very dissatisfied"},
    2: {"vi": "Không hài lòng", "en": "Dissatisfied"},
    3: {"vi": "Bình thường", "en": "Neutral"},
    4: {"vi": "Hài lòng", "en": "Satisfied"},
    5: {"vi": "Rất hài lòng", "en": "Very satisfied"},
}
# Two different non-answers, offered separately because they mean different things:
# "not_applicable" (the statement does not fit this respondent's case, e.g. fees for a
# free procedure) and "na" (it fits, but the respondent has no opinion). The code "na"
# keeps the meaning respondents saw since the first version ("Không có ý kiến").
# Neither counts in an index.
# Other wordings of the same 1–5 codes, chosen per question with ``words:`` (an assessment
# of quality, as in the PAR Index survey of leaders and managers, is not a satisfaction).
SCALE_WORDINGS = {
    "satisfaction": SCALE_WORDS,
    "quality": {
        1: {"vi": "Rất kém", "en": "Very poor"},
        2: {"vi": "Kém", "en": "Poor"},
        3: {"vi": "Trung bình", "en": "Fair"},
        4: {"vi": "Tốt", "en": "Good"},
        5: {"vi": "Rất tốt", "en": "Very good"},
    },
}
NA_WORDS = {"vi": "Không có ý kiến", "en": "No opinion"}
NOT_APPLICABLE_WORDS = {"vi": "Không áp dụng", "en": "Not applicable"}
# "na" is coded 9 and "not_applicable" 8 in SPSS and Stata files (both user-missing).
NA_CODE, NOT_APPLICABLE_CODE = 9, 8
NON_ANSWERS = {"not_applicable": NOT_APPLICABLE_WORDS, "na": NA_WORDS}
YES_WORDS, NO_WORDS = {"vi": "Có", "en": "Yes"}, {"vi": "Không", "en": "No"}
DEFAULT_MAX_LENGTH = 500
MAX_TEXT_LENGTH = 5000
INTEGER_SPAN = 999       # synthetic counts stay small even when the bound is not

_INTEGER_RE = re.compile(r"^[+-]?[0-9]{1,15}$")  # no "1e3", "1_000", non-ASCII digits
_YES, _NO = {"yes", "true"}, {"no", "false"}
_TEXT_TRUE = {"true", "1", "yes", "t", "y"}
_TEXT_FALSE = {"false", "0", "no", "f", "n"}
# Control characters (NUL above all: PostgreSQL refuses it in JSON) are never stored;
# line breaks and tabs are kept, Windows line ends become "\n".
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone UTF-16 surrogate (JSON "\ud800" without its pair) is not Unicode and cannot be
# stored; it becomes U+FFFD, the replacement character, and the rest of the text is kept.
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


# -- shared helpers --------------------------------------------------------------------------
def shown(value: object) -> object:
    """A value as an error parameter: plain scalars kept, anything else described."""
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


def integral(value: object) -> int | None:
    """The int in an int, an integral float or an integer string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _INTEGER_RE.match(value.strip()):
        return int(value.strip())
    return None


def is_unanswered(value: object) -> bool:
    """True for None, blank text and an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, (list, tuple)) and not value)


def find_choice(q, raw: object):
    """The choice of ``q`` a raw value names (compared as text), or None."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return None
    number = integral(raw) if isinstance(raw, float) else None
    key = str(number if number is not None else raw).strip()
    return q.choice(key)


def _bad(q, raw):
    return UNANSWERED, [AnswerError(q.id, "not_a_choice", {"value": shown(raw)})]


def _as_int(q, text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError(f"column {q.id!r} ({q.type}): cannot read {text!r}") from None


def _choice_options(q) -> list[Option]:
    return [Option(str(c.value), dict(c.label), c.explain) for c in q.choices]


def choice_values(q) -> tuple:
    """``(value, code, label)`` of each choice: integer values are their own codes."""
    numeric = all(isinstance(c.value, int) and not isinstance(c.value, bool) for c in q.choices)
    return tuple((c.value, c.value if numeric else k, dict(c.label))
                 for k, c in enumerate(q.choices, start=1))


def parse_choice(q, text: str):
    """A CSV cell back to the typed choice value (unknown text is kept as it is)."""
    text = str(text).strip()
    for c in q.choices:
        if str(c.value) == text:
            return c.value
    return text


# -- checks of the definition keys -------------------------------------------------------------
def _check_na(c: Checker, at: At, raw: dict, q: dict, lists: dict) -> None:
    q["na"] = raw.get("na", False)
    if not isinstance(q["na"], bool):
        c.report(at.key("na"), N_("na must be true or false"))
    # Kept out of the canonical form when false, so older definitions hash as before.
    inapplicable = raw.get("not_applicable", False)
    if not isinstance(inapplicable, bool):
        c.report(at.key("not_applicable"), N_("not_applicable must be true or false"))
    elif inapplicable:
        q["not_applicable"] = True
    words = raw.get("words", "satisfaction")
    if words not in SCALE_WORDINGS:
        c.report(at.key("words"), N_("words must be one of %(known)s, not %(value)s",
                                     known=", ".join(SCALE_WORDINGS), value=repr(words)))
    elif words != "satisfaction":
        q["words"] = words


def scale_words(q) -> dict:
    """The words of the 1–5 codes of a scale question."""
    return SCALE_WORDINGS[getattr(q, "words", None) or "satisfaction"]


def scale_non_answers(q) -> list[str]:
    """The non-answer codes a scale question offers, in form order."""
    return [code for code, on in (("not_applicable", q.not_applicable), ("na", q.na)) if on]


def _check_choices(c: Checker, at: At, raw: dict, q: dict, lists: dict) -> None:
    from ..validation_form import question_choices  # the shared reader of choice lists
    q["choices"] = question_choices(c, at.key("choices"), raw, lists)


def _check_multiple(c: Checker, at: At, raw: dict, q: dict, lists: dict) -> None:
    _check_choices(c, at, raw, q, lists)
    n = len(q["choices"]) if q["choices"] else None
    for key in ("min_choices", "max_choices"):
        if key not in raw:
            continue
        if not is_int(raw[key]) or raw[key] < 0:
            c.report(at.key(key), N_("%(key)s must be a whole number of at least 0", key=key))
        elif n is not None and raw[key] > n:
            c.report(at.key(key), N_("%(key)s is more than the number of choices (%(n)s)",
                                         key=key, n=n))
        else:
            q[key] = raw[key]
    if "min_choices" in q and "max_choices" in q and q["min_choices"] > q["max_choices"]:
        c.report(at.key("min_choices"), N_("min_choices must not exceed max_choices"))


def _check_bounds(c: Checker, at: At, raw: dict, q: dict, lists: dict) -> None:
    for key in ("min", "max"):
        if key not in raw:
            c.report(at.key(key), N_("missing key '%(key)s' (an integer question needs bounds)",
                                             key=key))
        elif not is_int(raw[key]):
            c.report(at.key(key), N_("%(key)s must be a whole number", key=key))
        else:
            q[key] = raw[key]
    if "min" in q and "max" in q and q["min"] > q["max"]:
        c.report(at.key("min"), N_("min must not exceed max"))


def _check_length(c: Checker, at: At, raw: dict, q: dict, lists: dict) -> None:
    q["max_length"] = raw.get("max_length", DEFAULT_MAX_LENGTH)
    if not is_int(q["max_length"]) or q["max_length"] < 1:
        c.report(at.key("max_length"), N_("max_length must be a whole number of at least 1"))
    elif q["max_length"] > MAX_TEXT_LENGTH:
        c.report(at.key("max_length"), N_("max_length must be at most %(limit)s",
                                            limit=MAX_TEXT_LENGTH))


# -- coercion of one raw answer --------------------------------------------------------------
def _coerce_scale(q, raw):
    if isinstance(raw, str) and raw.strip().lower() in NON_ANSWERS:
        word = raw.strip().lower()
        return (word, []) if word in scale_non_answers(q) else _bad(q, raw)
    number = integral(raw)
    return (number, []) if number in SCALE_VALUES else _bad(q, raw)


def _coerce_integer(q, raw):
    number = integral(raw)
    if number is None:
        return UNANSWERED, [AnswerError(q.id, "not_an_integer", {"value": shown(raw)})]
    if not q.min <= number <= q.max:
        return UNANSWERED, [AnswerError(q.id, "out_of_range", {"min": q.min, "max": q.max})]
    return number, []


def _coerce_yesno(q, raw):
    if isinstance(raw, bool):
        return raw, []
    word = raw.strip().lower() if isinstance(raw, str) else None
    return (word in _YES, []) if word in _YES | _NO else _bad(q, raw)


def _coerce_single(q, raw):
    choice = find_choice(q, raw)
    return (choice.value, []) if choice else _bad(q, raw)


def _coerce_multiple(q, raw):
    items = [raw] if isinstance(raw, (str, int, float, bool)) else raw
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        return _bad(q, raw)
    picked, errors = set(), []
    for item in items:
        if is_unanswered(item):
            continue  # an empty checkbox field posted by a form
        choice = find_choice(q, item)
        if choice is None:
            errors.append(AnswerError(q.id, "not_a_choice", {"value": shown(item)}))
        else:
            picked.add(str(choice.value))
    if errors:
        return UNANSWERED, errors
    # Stored in the order of the choice list, whatever order the browser sent.
    values = [c.value for c in q.choices if str(c.value) in picked]
    if not values:
        return UNANSWERED, []
    if q.min_choices is not None and len(values) < q.min_choices:
        return UNANSWERED, [AnswerError(q.id, "too_few_choices", {"min": q.min_choices})]
    if q.max_choices is not None and len(values) > q.max_choices:
        return UNANSWERED, [AnswerError(q.id, "too_many_choices", {"max": q.max_choices})]
    return values, []


def _coerce_text(q, raw):
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return UNANSWERED, [AnswerError(q.id, "not_text", {"value": shown(raw)})]
    text = _CONTROL_RE.sub("", str(raw).replace("\r\n", "\n").replace("\r", "\n"))
    text = _SURROGATE_RE.sub("\ufffd", text).strip()
    if not text:
        return UNANSWERED, []
    if len(text) > q.max_length:
        return UNANSWERED, [AnswerError(q.id, "too_long", {"max_length": q.max_length})]
    return text, []


def _coerce_note(q, raw):
    return UNANSWERED, [AnswerError(q.id, "not_answerable")]


# -- exports and reading back ------------------------------------------------------------------
def _export_scale(q) -> ExportSpec:
    values = tuple((k, k, scale_words(q)[k]) for k in SCALE_VALUES)
    codes = {"na": NA_CODE, "not_applicable": NOT_APPLICABLE_CODE}
    extra = scale_non_answers(q)
    values += tuple((w, codes[w], NON_ANSWERS[w]) for w in extra)
    note = {("na",): "na_code", ("not_applicable",): "not_applicable_code",
            ("not_applicable", "na"): "both_non_answers_code"}.get(tuple(extra), "")
    return ExportSpec(values=values, storage="number", note=note,
                      missing=tuple(codes[w] for w in extra))


def _export_single(q) -> ExportSpec:
    values = choice_values(q)
    numbered = any(str(v) != str(c) for v, c, _ in values)
    return ExportSpec(values=values, storage="number", note="single_codes" if numbered else "")


def _parse_yesno(q, text):
    t = str(text).strip().lower()
    if t in _TEXT_TRUE:
        return True
    if t in _TEXT_FALSE:
        return False
    raise ValueError(f"column {q.id!r} ({q.type}): cannot read {text!r}")


def _parse_scale(q, text):
    word = str(text).strip().lower()
    return word if word in NON_ANSWERS else _as_int(q, text)


def _scale_options(q) -> list[Option]:
    options = [Option(str(k), scale_words(q)[k], numbered=True) for k in SCALE_VALUES]
    return options + [Option(w, NON_ANSWERS[w]) for w in scale_non_answers(q)]


_CHOICE_KEYS = frozenset({"choices"})

BUILTIN = (
    QuestionType(
        name="scale", title={"vi": "Thang đo 1–5", "en": "Scale 1–5"},
        keys=frozenset({"na", "not_applicable", "words"}), check=_check_na, coerce=_coerce_scale,
        field="radio", template="choices", options=_scale_options,
        form=FormReading(words={"na": "na", "not_applicable": "not_applicable"}, numeric=True), export=_export_scale,
        parse_text=_parse_scale, sample="latent",
        sample_values=lambda q: [*SCALE_VALUES, *scale_non_answers(q)], skip_share=0.01),
    QuestionType(
        name="single", title={"vi": "Một lựa chọn", "en": "Single choice"},
        keys=_CHOICE_KEYS, check=_check_choices, coerce=_coerce_single,
        field="radio", template="choices", options=_choice_options,
        export=_export_single, parse_text=parse_choice, sample="categorical",
        sample_values=lambda q: [c.value for c in q.choices], skip_share=0.04),
    QuestionType(
        name="multiple", title={"vi": "Nhiều lựa chọn", "en": "Multiple choice"},
        keys=_CHOICE_KEYS | {"min_choices", "max_choices"}, check=_check_multiple,
        coerce=_coerce_multiple, default_required=False, field="checkboxes",
        template="choices", options=_choice_options, form=FormReading(read="list"),
        export=lambda q: ExportSpec(values=choice_values(q), note="multiple_csv", dummies=True),
        parse_text=lambda q, text: [parse_choice(q, x) for x in str(text).split()],
        sample="subset", skip_share=0.08),
    QuestionType(
        name="integer", title={"vi": "Số nguyên", "en": "Integer"},
        keys=frozenset({"min", "max"}), check=_check_bounds, coerce=_coerce_integer,
        field="number", template="number", form=FormReading(numeric=True),
        export=lambda q: ExportSpec(storage="number"), parse_text=_as_int, sample="count",
        sample_values=lambda q: list(range(q.min, min(q.max, q.min + INTEGER_SPAN) + 1))),
    QuestionType(
        name="yesno", title={"vi": "Có/Không", "en": "Yes/No"},
        coerce=_coerce_yesno, field="radio", template="choices",
        options=lambda q: [Option("true", YES_WORDS), Option("false", NO_WORDS)],
        form=FormReading(words={"true": True, "false": False}),
        export=lambda q: ExportSpec(values=((True, 1, YES_WORDS), (False, 0, NO_WORDS)),
                                    storage="number", note="yesno_csv", boolean=True),
        parse_text=_parse_yesno, sample="event",
        sample_values=lambda q: [False, True], skip_share=0.02),
    QuestionType(
        name="text", title={"vi": "Văn bản tự do", "en": "Free text"},
        keys=frozenset({"max_length"}), check=_check_length, coerce=_coerce_text,
        default_required=False, field="textarea", template="text",
        form=FormReading(keep_blank=True),
        export=lambda q: ExportSpec(note="text", guard=True), sample="comment",
        skip_share=0.93),
    QuestionType(
        name="note", title={"vi": "Ghi chú", "en": "Note"}, coerce=_coerce_note,
        answerable=False, default_required=False, template="note",
        form=FormReading(read="none")),
)
