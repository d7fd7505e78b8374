"""The small, safe expression language of questionnaire conditions.

`relevant`, `constraint` and `required` conditions (and analysis indicators) are parsed
here into a tree of nested JSON-able lists.  The server evaluates the tree with
:func:`evaluate_tree` (authoritative); the browser evaluates the very same tree, sent as
JSON, with ``questionnaires/static/expressions.js``.  Nothing is ever passed to ``eval``.

Tree nodes (first item is the node kind)::

    ["lit", v]                  literal: int, str, bool or None
    ["list", e1, e2, ...]       list literal; items are expressions
    ["ref", "trips"]            the answer to question ``trips`` (None when unanswered)
    ["this"]                    ``.``: the answer to the question the condition belongs to
    ["neg", e]                  unary minus
    ["+", a, b] ["-", a, b] ["*", a, b]
    ["==", a, b] ["!=", a, b] ["<", a, b] ["<=", a, b] [">", a, b] [">=", a, b]
    ["in", a, b] ["not in", a, b]
    ["and", e1, e2, ...] ["or", e1, e2, ...]     (n-ary: a chain is flattened)
    ["not", e]
    ["count", e] ["answered", e]

Values are None, bool, int, str and lists of values.  Answers are normalised on the way
in so that both evaluators see the same thing after a JSON round trip: an integral float
is an int, any other float, an int beyond +-(2**53 - 1) and any other type is None, and
a tuple is a list.  Semantics (see docs/questionnaire-format.md, "Expressions"):

- ``==``/``!=`` are strict: a bool is never equal to an int, lists compare item by item;
- ordering compares int with int or str with str (by Unicode code point), else false;
- arithmetic needs two ints (not bools), else None; a result beyond +-(2**53 - 1) is None
  too, because JavaScript numbers are exact only up to there;
- ``x in y`` is false when y is not a list; ``not in`` is its negation;
- None, False, 0, '' and [] are falsy; ``and``/``or``/``not`` return bools.

Comparisons do not chain (``1 < x < 5`` is a syntax error): write ``1 < x and x < 5``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .expression_eval import MAX_SAFE_INTEGER, evaluate_tree, normalize, strict_equal, truthy
from .expression_parser import ExpressionError, parse_tree

__all__ = [
    "MAX_SAFE_INTEGER",
    "Expression",
    "ExpressionError",
    "evaluate_tree",
    "normalize",
    "parse_expression",
    "strict_equal",
    "truthy",
]


def parse_expression(source: str) -> Expression:
    """Parse ``source`` into an :class:`Expression`; raise :class:`ExpressionError` if invalid."""
    return Expression(source, parse_tree(source))


class Expression:
    """A parsed condition: its ``source``, JSON-able ``tree`` and referenced question ids."""

    __slots__ = ("source", "tree", "references")

    def __init__(self, source: str, tree: list):
        self.source = source
        self.tree = tree
        self.references = frozenset(_references(tree))

    def evaluate(self, answers: Mapping[str, object], this: str | None = None) -> object:
        """Evaluate against ``answers``; ``this`` is the id that ``.`` stands for."""
        return evaluate_tree(self.tree, answers, this)

    def holds(self, answers: Mapping[str, object], this: str | None = None) -> bool:
        """Return whether the condition is true (truthy) for ``answers``."""
        return truthy(evaluate_tree(self.tree, answers, this))

    def to_json(self) -> list:
        """Return a copy of the tree, ready for ``json.dumps`` and expressions.js."""
        return json.loads(json.dumps(self.tree))

    def __eq__(self, other: object) -> bool:
        # Compare JSON text: as lists, ["lit", True] would equal ["lit", 1].
        return isinstance(other, Expression) and json.dumps(self.tree) == json.dumps(other.tree)

    def __hash__(self) -> int:
        return hash(json.dumps(self.tree))

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __str__(self) -> str:
        return self.source


def _references(tree: list) -> set[str]:
    found, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if node[0] == "ref":
            found.add(node[1])
        elif node[0] not in ("lit", "this"):
            stack.extend(node[1:])
    return found
