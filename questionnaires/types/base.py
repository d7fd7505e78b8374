"""The shape of a question type: what one entry of the registry declares.

An entry is plain data and plain callables, so that every layer can read it without the
registry importing any of them: the loader (which keys a question of this type may have
and how they are checked), ``check_answers`` (coercion of one raw value), the web survey
(which form field and partial template show it, how posted strings are read, by the server
and by ``survey.js`` alike), the exports (column plan and value labels, reading a CSV back)
and the synthetic generator (which drawing strategy, how often an optional one is skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Text = dict[str, str]

# The marker of "no answer" returned by coercion (``None`` would be ambiguous for JSON).
UNANSWERED = object()


def is_int(value: object) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class AnswerError:
    """One problem with the answers, as a code the web layer translates."""

    question_id: str | None
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    """One option the web form shows (radio button or checkbox).

    ``label`` is a text dict by language (the definition's own text or a fixed platform
    wording such as the 1–5 scale); ``numbered`` shows the value before the label.
    """

    value: str
    label: Text
    explain: Text | None = None
    numbered: bool = False


@dataclass(frozen=True)
class FormReading:
    """How the strings a browser posts become the value an API client would send.

    The same description drives ``survey.public.flow`` on the server and ``survey.js`` in
    the browser (it travels as data attributes), so both read a page identically.

    Attributes
    ----------
    read : {"one", "list", "none"}
        One value (the first non-blank string), the list of every ticked value (typed as
        the choice values), or nothing (a note; the server still passes the text on so
        that ``check_answers`` reports ``not_answerable``).
    words : dict
        Posted strings with a fixed meaning, e.g. ``{"na": "na"}`` or ``{"true": True}``.
    numeric : bool
        A string of digits becomes an int.
    keep_blank : bool
        Blank strings are not skipped before the first is taken (free text).
    """

    read: str = "one"
    words: Mapping[str, Any] = field(default_factory=dict)
    numeric: bool = False
    keep_blank: bool = False


@dataclass(frozen=True)
class ExportSpec:
    """How one question becomes export columns.

    ``values`` lists ``(stored value, numeric code, label text dict)``; ``note`` is a key
    of ``analysis.exports.labels.NOTES`` (empty for none).
    """

    values: tuple = ()
    storage: str = "string"       # number | string, in SPSS and Stata
    note: str = ""
    guard: bool = False           # free text: neutralise formulas in spreadsheets
    dummies: bool = False         # one 0/1 column per value in XLSX, SPSS and Stata
    boolean: bool = False         # true/false in CSV, a checkbox-like cell in XLSX
    missing: tuple = ()           # codes declared user-missing in SPSS


@dataclass(frozen=True)
class QuestionType:
    """One question type, declared once.

    Attributes
    ----------
    name : str
        The ``type`` written in definitions.
    title : Text
        The type's name for people (codebooks), by language.
    keys : frozenset of str
        Definition keys specific to this type (besides id, type, label, ...).
    check : callable
        ``check(checker, at, raw, q, lists)``: validates those keys and writes their
        canonical values into ``q`` (the loader's part).
    coerce : callable
        ``coerce(question, raw) -> (value or UNANSWERED, [AnswerError])`` for a raw value
        that is not blank.
    answerable : bool
        False for a note: it takes no answer, is never required and is not exported.
    default_required : bool
        ``required`` when the definition does not say.
    field : str or None
        The kind of form field the web layer builds: radio, checkboxes, number, textarea.
    template : str
        The partial template (``survey/templates/public/types/<template>.html``).
    options : callable
        ``options(question) -> [Option]`` for radio buttons and checkboxes.
    form : FormReading
        How posted strings are read (server and browser).
    export : callable
        ``export(question) -> ExportSpec``.
    parse_text : callable
        ``parse_text(question, text) -> value``: an exported CSV cell back to the stored
        value; raises ValueError on a cell that cannot be one.
    sample : str or None
        The strategy of ``analysis.synthetic`` drawing answers: latent, event,
        categorical, subset, count, comment.
    sample_values : callable
        ``sample_values(question) -> list`` of the stored value of each drawn code (None
        when the strategy computes them, as for subsets).
    skip_share : float
        Share of synthetic respondents leaving an optional question unanswered.
    """

    name: str
    title: Text
    coerce: Callable
    keys: frozenset = frozenset()
    check: Callable | None = None
    answerable: bool = True
    default_required: bool = True
    field: str | None = None
    template: str = ""
    options: Callable = lambda question: []
    form: FormReading = FormReading()
    export: Callable = lambda question: ExportSpec()
    parse_text: Callable = lambda question, text: text
    sample: str | None = None
    sample_values: Callable = lambda question: None
    skip_share: float = 0.05

    def to_form(self, value: object):
        """Return an answer as the string(s) a form field shows (inverse of the reading)."""
        if value is None:
            return None
        if self.form.read == "list":
            return [str(v) for v in value] if isinstance(value, list) else [str(value)]
        for word, meaning in self.form.words.items():
            if type(meaning) is type(value) and meaning == value:
                return word
        return str(value)

    def from_form(self, question, values: list[str]):
        """Return the JSON-like value of a question from its posted strings, or None."""
        reading = self.form
        if not reading.keep_blank:
            values = [v for v in values if v.strip() != ""]
        if reading.read == "list":
            return [_choice_value(question, v) for v in values] if values else None
        if not values:
            return None
        text = values[0].strip()
        if reading.keep_blank and not text:
            return None
        if text in reading.words:
            return reading.words[text]
        if reading.numeric:
            try:
                return int(text)
            except ValueError:
                return text
        return _choice_value(question, text)


def _choice_value(question, text: str):
    """Return the typed choice value whose string form is ``text``, else ``text``."""
    for choice in question.choices:
        if str(choice.value) == text:
            return choice.value
    return text
