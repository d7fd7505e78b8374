"""Evaluation of condition trees: the shared value domain and its semantics.

The rules are those listed in :mod:`questionnaires.expressions`; the browser's
``questionnaires/static/expressions.js`` implements the very same ones.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Mapping

MAX_SAFE_INTEGER = 2**53 - 1
_ORDERINGS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def normalize(value: object) -> object:
    """Map an answer onto the value domain both evaluators share (see :mod:`.expressions`)."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if abs(value) <= MAX_SAFE_INTEGER else None
    if isinstance(value, (list, tuple)):
        return [normalize(item) for item in value]
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return bool(value)  # numpy.bool_ is neither bool nor Integral
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return normalize(int(value))
    if isinstance(value, numbers.Real):
        # JSON cannot tell 3.0 from 3, and the browser sees JSON, so neither may we.
        number = float(value)
        return normalize(int(number)) if number.is_integer() else None
    return None


def truthy(value: object) -> bool:
    """Truthiness of a value: None, False, 0, '' and [] are false, all else true."""
    # For the normalised value domain Python's own truthiness is exactly the rule.
    return bool(value)


def _is_int(value: object) -> bool:
    return type(value) is int  # excludes bool, which is a subclass of int


def strict_equal(a: object, b: object) -> bool:
    """Equality without coercion: values of different types are never equal."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    return a == b


def _order(op: str, a: object, b: object) -> bool:
    # Python compares str by code point, which is what expressions.js reproduces.
    if (_is_int(a) and _is_int(b)) or (type(a) is str and type(b) is str):
        return _ORDERINGS[op](a, b)
    return False


def _arithmetic(op: str, a: object, b: object) -> int | None:
    if not (_is_int(a) and _is_int(b)):
        return None
    result = a + b if op == "+" else a - b if op == "-" else a * b
    return result if abs(result) <= MAX_SAFE_INTEGER else None


def _member(item: object, container: object) -> bool:
    return type(container) is list and any(strict_equal(item, x) for x in container)


def evaluate_tree(tree: list, answers: Mapping[str, object], this: str | None = None) -> object:
    """Evaluate a parsed tree against ``answers``; ``this`` is the id that ``.`` stands for.

    Parameters
    ----------
    tree : list
        A tree from :func:`parse_expression` (``Expression.tree``).
    answers : Mapping[str, object]
        Answers by question id; absent or None means unanswered.
    this : str or None
        The id of the question the condition belongs to.

    Returns
    -------
    object
        None, bool, int, str or a list of those.

    Raises
    ------
    ValueError
        If ``tree`` is not a tree the parser produces.
    """
    op = tree[0]
    if op == "lit":
        return normalize(tree[1])
    if op == "ref":
        return normalize(answers.get(tree[1]))
    if op == "this":
        return None if this is None else normalize(answers.get(this))
    args = tree[1:]
    if op == "and":
        return all(truthy(evaluate_tree(arg, answers, this)) for arg in args)
    if op == "or":
        return any(truthy(evaluate_tree(arg, answers, this)) for arg in args)
    values = [evaluate_tree(arg, answers, this) for arg in args]
    if op == "list":
        return values
    if op == "not":
        return not truthy(values[0])
    if op == "neg":
        return -values[0] if _is_int(values[0]) else None
    if op in ("+", "-", "*"):
        return _arithmetic(op, *values)
    if op == "==":
        return strict_equal(*values)
    if op == "!=":
        return not strict_equal(*values)
    if op in ("<", "<=", ">", ">="):
        return _order(op, *values)
    if op == "in":
        return _member(*values)
    if op == "not in":
        return not _member(*values)
    if op == "count":
        return len(values[0]) if type(values[0]) is list else 0 if values[0] is None else 1
    if op == "answered":
        return values[0] is not None
    raise ValueError(f"malformed expression tree: unknown node {op!r}")
