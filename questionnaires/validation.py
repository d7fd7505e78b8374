"""The building blocks of definition checking: field paths, the problem collector.

Every problem is collected (none stops the others) and reported together. Fields are
named by a path of keys joined with ``.``; a list item is written in brackets, by its
``id`` when it has a text id and by its 0-based position otherwise, e.g.
``elements[access].questions[access_info].relevant``, ``elements[2].title``,
``choice_lists.frequency[1].value``, ``analysis.elements[access].criteria[0]``.
The sections themselves are checked in :mod:`.validation_form` and
:mod:`.validation_analysis`.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from .expression_parser import FUNCTIONS, KEYWORDS
from .expressions import ExpressionError, parse_expression
from .loader import Document, Problem
from .messages import N_, Text
from .types.base import is_int

# Question and element ids are used as names in expressions and as data columns.
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ID_RULE = N_("lowercase letters, digits and '_', starting with a letter")
LANG_NAMES = {"vi": N_("Vietnamese"), "en": N_("English")}
RESERVED = KEYWORDS | set(FUNCTIONS)


@dataclass(frozen=True)
class At:
    """Where a value is: its path in the YAML tree and its field name for people."""

    path: tuple = ()
    field: str = ""

    def key(self, key: str) -> At:
        """The place of ``key`` inside this mapping."""
        return At(self.path + (key,), f"{self.field}.{key}" if self.field else key)

    def item(self, index: int, value: object) -> At:
        """The place of list item ``index``, named by its id when it has one."""
        name = value.get("id") if isinstance(value, dict) else None
        label = name if isinstance(name, str) and name else index
        return At(self.path + (index,), f"{self.field}[{label}]")


def is_positive_number(value: object) -> bool:
    """True for a finite int or float above zero (bools excluded)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def walk_tree(tree: list):
    """Yield every node of an expression tree (iteratively: trees may be long chains)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if node[0] not in ("lit", "ref", "this"):
            stack.extend(node[1:])


class Checker:
    """Collects problems while walking one document."""

    def __init__(self, doc: Document, file: str):
        self.doc, self.file = doc, file
        self.problems: list[Problem] = []
        self.languages: list[str] = ["vi"]
        self.questions: dict[str, dict] = {}  # id -> normalised question (with "_line")
        self.pending: list[tuple] = []  # expressions whose references are checked at the end
        for path, line, message in doc.problems:  # found while reading the YAML
            self.problems.append(Problem(file, line, self.at(path).field, message))

    def at(self, path: tuple) -> At:
        """The At of a YAML path, naming list items by their ids where they have them."""
        at, value = At(), self.doc.data
        for step in path:
            if isinstance(step, int) and isinstance(value, list) and step < len(value):
                value = value[step]
                at = at.item(step, value)
            else:
                value = value.get(step) if isinstance(value, dict) else None
                at = at.key(str(step))
        return at

    # -- reporting ---------------------------------------------------------------------
    def report(self, at: At, message: Text, *, line: int | None = None) -> None:
        self.problems.append(Problem(self.file, line or self.doc.line(at.path), at.field, message))

    def key_line(self, at: At) -> int | None:
        """Line of the key that introduces the value at ``at``."""
        return self.doc.key_lines.get(at.path) or self.doc.line(at.path)

    def mapping(self, at: At, value: object, allowed: set[str], required: set[str],
                what: str, *, misplaced: set[str] = frozenset(), kind: str = "") -> bool:
        """Check that ``value`` is a mapping with known keys and all required keys."""
        if not isinstance(value, dict):
            self.report(at, N_("%(what)s must be a mapping of keys to values", what=what))
            return False
        for key in value:
            if key in allowed:
                continue
            if key in misplaced:
                self.report(at.key(key), N_("key '%(key)s' does not apply to questions of type '%(type)s'",
                                                 key=key, type=kind),
                            line=self.key_line(at.key(key)))
                continue
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            message = (N_("unknown key '%(key)s' (did you mean '%(close)s'?)", key=key, close=close[0])
                       if close else N_("unknown key '%(key)s'", key=key))
            self.report(at.key(key), message, line=self.key_line(at.key(key)))
        for key in sorted(required - value.keys()):
            self.report(at.key(key), N_("missing key '%(key)s'", key=key))
        return True

    # -- values ------------------------------------------------------------------------
    def text(self, at: At, value: object) -> dict[str, str] | None:
        """Check a text given in every declared language; return it normalised."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.report(at, N_("must be texts by language, e.g. {vi: ..., en: ...}"))
            return None
        result = {}
        for lang in self.languages:
            name = LANG_NAMES.get(lang, f"'{lang}'")  # an unknown code is shown as written
            if lang not in value:
                self.report(at, N_("missing %(language)s text (%(code)s)", language=name, code=lang))
                continue
            text = value[lang]
            if isinstance(text, (bool, int, float)):  # `en: 2024` or `en: true` is still text
                text = self.doc.raw.get(at.path + (lang,), str(text))
            if not isinstance(text, str) or not text.strip():
                self.report(at.key(lang), N_("empty or invalid %(language)s text (%(code)s)",
                                                  language=name, code=lang))
                continue
            result[lang] = text.strip()
        for lang in value:
            if lang not in self.languages:
                # `{vi: Có, một vài lần}` is the usual cause: the comma ends the text.
                languages = ", ".join(self.languages)
                message = (N_("text in undeclared language '%(code)s' (languages are %(languages)s)"
                              " - a comma inside {...} ends the text: put the text in quotes",
                              code=lang, languages=languages) if value[lang] is None else
                           N_("text in undeclared language '%(code)s' (languages are %(languages)s)",
                              code=lang, languages=languages))
                self.report(at.key(lang), message)
        return result

    def ident(self, at: At, value: object, what: str) -> bool:
        """Report unless ``value`` is a valid id; return whether it is."""
        if not isinstance(value, str) or not ID_RE.match(value):
            shown = f"'{value}'" if isinstance(value, str) else repr(value)
            self.report(at, N_("%(what)s id %(id)s must use %(rule)s", what=what, id=shown, rule=ID_RULE))
            return False
        if value in RESERVED:
            self.report(at, N_("%(what)s id '%(id)s' is a reserved word of the expression language",
                                  what=what, id=value))
            return False
        return True

    def unique_ident(self, at: At, value: object, what: str, seen: dict) -> None:
        """Check the id at ``at`` like :meth:`ident`, and that ``seen`` (id → line) lacks it."""
        if not self.ident(at, value, what):
            return
        if value in seen:
            self.report(at, N_("duplicate %(what)s id '%(id)s' (first defined on line %(first)s)",
                                  what=what, id=value, first=seen[value]))
        seen.setdefault(value, self.doc.line(at.path))

    def expression(self, at: At, value: object, context: dict) -> str | None:
        """Parse a condition now; remember it so its references are checked at the end."""
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.report(at, N_("must be a condition written as text, e.g. \"trips >= 1\""))
            return None
        try:
            expr = parse_expression(value)
        except ExpressionError as exc:
            # The column goes up front, so the parser's own mention of it is left out.
            self.report(at, N_("expression syntax error at column %(column)s: %(error)s",
                               column=exc.column, error=exc.detail))
            return None
        self.pending.append((at, expr, context))
        return value

    def check_references(self) -> None:
        """Check every condition's references once all question ids are known."""
        known = sorted(self.questions)
        for at, expr, context in self.pending:
            for ref in sorted(expr.references):
                if ref not in self.questions:
                    close = difflib.get_close_matches(ref, known, n=1)
                    self.report(at, N_("condition refers to unknown question '%(ref)s' (did you mean "
                                       "'%(close)s'?)", ref=ref, close=close[0]) if close else
                                N_("condition refers to unknown question '%(ref)s'", ref=ref))
                elif ref == context.get("self"):
                    self.report(at, N_("condition refers to the question itself ('%(ref)s'): "
                                   "a question cannot depend on its own answer", ref=ref))
                elif ref in context.get("same_page", ()):
                    self.report(at, N_("element condition refers to question '%(ref)s' on the "
                                   "same page, which is only asked once the page is shown", ref=ref))
            if not context.get("this_allowed") and any(n[0] == "this" for n in walk_tree(expr.tree)):
                self.report(at, N_("'.' (this question) can only be used in constraint and required"))
