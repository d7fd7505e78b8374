"""Parsing, errors and evaluation semantics of the condition language."""

import json
from collections import OrderedDict
from fractions import Fraction

import pytest

from questionnaires.expressions import (
    MAX_SAFE_INTEGER,
    Expression,
    ExpressionError,
    evaluate_tree,
    normalize,
    parse_expression,
    truthy,
)


def ev(source, answers=None, this=None):
    return parse_expression(source).evaluate(answers or {}, this)


# --------------------------------------------------------------------------- parsing

@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("12", ["lit", 12]),
        ("'in_person'", ["lit", "in_person"]),
        ('"it\'s"', ["lit", "it's"]),
        (r"'a\'b\\c\n'", ["lit", "a'b\\c\n"]),
        ("'Rất hài lòng'", ["lit", "Rất hài lòng"]),
        ("true", ["lit", True]),
        ("false", ["lit", False]),
        ("null", ["lit", None]),
        ("trips", ["ref", "trips"]),
        ("_x9", ["ref", "_x9"]),
        (".", ["this"]),
        ("[]", ["list"]),
        ("[1, 'x', [true],]", ["list", ["lit", 1], ["lit", "x"], ["list", ["lit", True]]]),
        ("-3", ["lit", -3]),
        ("-x", ["neg", ["ref", "x"]]),
        ("- -x", ["neg", ["neg", ["ref", "x"]]]),
        # unary minus binds tighter than *, * tighter than + and -
        ("-a * b + c", ["+", ["*", ["neg", ["ref", "a"]], ["ref", "b"]], ["ref", "c"]]),
        ("a + b * c", ["+", ["ref", "a"], ["*", ["ref", "b"], ["ref", "c"]]]),
        ("a - b - c", ["-", ["-", ["ref", "a"], ["ref", "b"]], ["ref", "c"]]),
        ("(a + b) * c", ["*", ["+", ["ref", "a"], ["ref", "b"]], ["ref", "c"]]),
        # arithmetic binds tighter than comparison
        ("a + 1 >= b * 2",
         [">=", ["+", ["ref", "a"], ["lit", 1]], ["*", ["ref", "b"], ["lit", 2]]]),
        ("x in [1, 2]", ["in", ["ref", "x"], ["list", ["lit", 1], ["lit", 2]]]),
        ("x not in y", ["not in", ["ref", "x"], ["ref", "y"]]),
        # not is looser than comparisons, and is tighter than or
        ("not a == b", ["not", ["==", ["ref", "a"], ["ref", "b"]]]),
        ("not not a", ["not", ["not", ["ref", "a"]]]),
        ("not x in y", ["not", ["in", ["ref", "x"], ["ref", "y"]]]),
        ("a or b and c", ["or", ["ref", "a"], ["and", ["ref", "b"], ["ref", "c"]]]),
        ("a and b or c", ["or", ["and", ["ref", "a"], ["ref", "b"]], ["ref", "c"]]),
        ("not a and b", ["and", ["not", ["ref", "a"]], ["ref", "b"]]),
        ("a or b or c", ["or", ["ref", "a"], ["ref", "b"], ["ref", "c"]]),
        ("(a or b) and c", ["and", ["or", ["ref", "a"], ["ref", "b"]], ["ref", "c"]]),
        ("count(x) > 1", [">", ["count", ["ref", "x"]], ["lit", 1]]),
        ("answered(.)", ["answered", ["this"]]),
        ("count == 1", ["==", ["ref", "count"], ["lit", 1]]),  # a question may be called count
        ("\ttrips\n>=\u00a01 ", [">=", ["ref", "trips"], ["lit", 1]]),
        ("True", ["ref", "True"]),  # keywords are lower case; this is a question id
    ],
)
def test_parse_tree(source, tree):
    expr = parse_expression(source)
    # JSON text, because as Python lists ["lit", True] == ["lit", 1].
    assert json.dumps(expr.tree) == json.dumps(tree)
    assert json.dumps(expr.to_json()) == json.dumps(tree)


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("", 1, "the expression is empty"),
        ("   ", 1, "the expression is empty"),
        ("trips >= (1 + 2))", 17, "unexpected ')' at column 17"),
        ("a b", 3, "unexpected 'b' at column 3"),
        ("1 2", 3, "unexpected '2' at column 3"),
        ("x == 1 'y'", 8, "unexpected text \"y\" at column 8"),
        ("a ==", 5, "ends too early at column 5"),
        ("a and ", 6, "ends too early at column 6"),
        ("(a == 1", 1, "'(' at column 1 is never closed"),
        ("[1, 2", 1, "'[' at column 1 is never closed"),
        ("[1 2]", 4, "unexpected '2' at column 4"),
        ("(a b)", 4, "expected ')' to close the '(' at column 1"),
        ("x == 'abc", 6, "unterminated string starting at column 6"),
        ('"abc\'', 1, "unterminated string starting at column 1"),
        ("'a\\q'", 3, "unknown escape '\\q' at column 3"),
        ("foo(1)", 1, "unknown function 'foo' at column 1"),
        ("x and sum(1)", 7, "unknown function 'sum'"),
        ("count(a, b)", 1, "count() at column 1 takes 1 argument, not 2"),
        ("answered()", 1, "answered() at column 1 takes 1 argument, not 0"),
        ("x @ 1", 3, "unexpected character '@' at column 3"),
        ("x = 1", 3, "use '=='"),
        ("a && b", 3, "use 'and'"),
        ("a || b", 3, "use 'or'"),
        ("!a", 1, "use 'not'"),
        ("a / 2", 3, "only + - * are available"),
        ("ngày == 1", 3, "put texts in quotes"),
        ("x == 1.5", 6, "decimal numbers are not supported"),
        ("3abc", 1, "invalid number '3abc'"),
        ("x == 9007199254740992", 6, "too large"),
        ("1 < x < 5", 7, "comparisons cannot be chained"),
        ("a == b != c", 8, "comparisons cannot be chained"),
        ("x in y in z", 8, "comparisons cannot be chained"),
        ("a == not b", 6, "unexpected 'not' at column 6"),
        ("in", 1, "unexpected 'in' at column 1"),
        ("a not b", 3, "unexpected 'not' at column 3"),
        (")", 1, "unexpected ')' at column 1"),
        ("(" * 40 + "1" + ")" * 40, 33, "nested too deeply"),
        ("not " * 40 + "x", 129, "nested too deeply"),
        (" + ".join(["1"] * 150), 1, "too complex"),
    ],
)
def test_parse_errors(source, column, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    err = info.value
    assert err.column == column, err.message
    assert fragment in err.message
    assert str(err) == err.message
    assert isinstance(err, ValueError)


def test_error_message_reads_plainly():
    with pytest.raises(ExpressionError) as info:
        parse_expression("trips >= 1 )")
    assert info.value.message.startswith("unexpected ')' at column 12")


def test_non_string_source_is_an_error():
    with pytest.raises(ExpressionError, match="must be text"):
        parse_expression(3)


def test_long_or_chain_is_flat_not_deep():
    source = " or ".join(f"q{i} == {i}" for i in range(300))
    expr = parse_expression(source)
    assert expr.tree[0] == "or" and len(expr.tree) == 301
    assert expr.evaluate({"q299": 299}) is True


def test_references_exclude_this_and_functions():
    expr = parse_expression("count(improve) > 1 and . != trips or answered(late) and x in [y, 'z']")
    assert expr.references == frozenset({"improve", "trips", "late", "x", "y"})
    assert isinstance(expr.references, frozenset)
    assert parse_expression(". > 0 and count(.) == 1").references == frozenset()


def test_expression_value_semantics():
    a, b = parse_expression("x==1"), parse_expression(" x == 1 ")
    assert a == b and hash(a) == hash(b)
    assert a != parse_expression("x == 2")
    assert parse_expression("x == true") != parse_expression("x == 1")
    assert a.source == "x==1" and str(b) == " x == 1 "
    assert repr(a) == "Expression('x==1')"
    copy = a.to_json()
    copy[0] = "!="
    assert a.tree[0] == "=="  # to_json hands out a copy


# --------------------------------------------------------------------------- evaluation

ANSWERS = {
    "trips": 3,
    "zero": 0,
    "channel": "in_person",
    "late": True,
    "apology": False,
    "improve": ["info", "staff"],
    "none_picked": [],
    "empty": "",
    "score": 5,
    "na": "na",
    "vn": "Hài lòng",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # strict equality
        ("true == 1", False),
        ("false == 0", False),
        ("1 == '1'", False),
        ("null == null", True),
        ("missing == null", True),
        ("null == false", False),
        ("trips == 3", True),
        ("trips != 3", False),
        ("late == true", True),
        ("late != 1", True),
        ("[1, 2] == [1, 2]", True),
        ("[1] == [true]", False),
        ("[] == null", False),
        ("improve == ['info', 'staff']", True),
        ("improve == ['staff', 'info']", False),
        ("vn == 'Hài lòng'", True),
        # ordering: int/int and str/str only
        ("trips >= 1", True),
        ("trips < 3", False),
        ("trips <= 3", True),
        ("'a' < 'b'", True),
        ("'b' >= 'a'", True),
        ("'Z' < 'a'", True),
        ("'ab' < 'abc'", True),
        ("'\U0001F600' > '\uffff'", True),  # code points, not UTF-16 code units
        ("null < 1", False),
        ("null >= null", False),
        ("missing > 0", False),
        ("true > false", False),
        ("late >= 1", False),
        ("1 < '2'", False),
        ("[1] < [2]", False),
        # arithmetic: integers only
        ("trips + 1", 4),
        ("trips - 5", -2),
        ("trips * -2", -6),
        ("-trips", -3),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("null + 1", None),
        ("missing * 2", None),
        ("true + 1", None),
        ("-late", None),
        ("-'a'", None),
        ("'a' + 'b'", None),
        ("[1] + [2]", None),
        ("9007199254740991 + 1", None),  # beyond exact JavaScript integers
        ("9007199254740991 + 0", 9007199254740991),
        ("-9007199254740991 - 1", None),
        ("3000000 * 3000000 * 3000000", None),
        ("(trips + null) == null", True),
        # membership
        ("1 in [true]", False),
        ("true in [1]", False),
        ("1 in [1, 2]", True),
        ("'info' in improve", True),
        ("'cost' in improve", False),
        ("'cost' not in improve", True),
        ("'a' in 'abc'", False),
        ("'a' not in 'abc'", True),
        ("x in missing", False),
        ("x not in missing", True),
        ("null in [null]", True),
        ("missing in [1, null]", True),
        ("[1] in [[1], 2]", True),
        ("trips in [1, 2, 3]", True),
        # logic and truthiness
        ("zero or empty or none_picked or missing or apology", False),
        ("trips and channel and improve and late", True),
        ("trips and 0", False),
        ("1 or x", True),
        ("not zero", True),
        ("not none_picked", True),
        ("not empty", True),
        ("not missing", True),
        ("not channel", False),
        ("not [0]", False),
        ("not 'false'", False),
        ("not -1", False),
        # functions
        ("count(improve)", 2),
        ("count(none_picked)", 0),
        ("count(missing)", 0),
        ("count(channel)", 1),
        ("count([1, [2, 3]])", 2),
        ("answered(trips)", True),
        ("answered(missing)", False),
        ("answered(none_picked)", True),
        ("answered(apology)", True),
        ("answered(null)", False),
        # plain values
        ("trips", 3),
        ("missing", None),
        ("[trips, missing]", [3, None]),
        ("score in [4, 5] and na != 'na' or channel == 'in_person'", True),
    ],
)
def test_evaluate(source, expected):
    result = ev(source, ANSWERS)
    # JSON text tells True from 1 (also inside lists), which == does not.
    assert json.dumps(result, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)


def test_logic_returns_booleans_not_operands():
    assert ev("trips or 0", ANSWERS) is True
    assert ev("channel and trips", ANSWERS) is True
    assert ev("zero or empty", ANSWERS) is False


def test_this_is_the_current_question():
    expr = parse_expression(". >= 1 and . <= 10")
    assert expr.evaluate({"trips": 4}, this="trips") is True
    assert expr.evaluate({"trips": 11}, this="trips") is False
    assert expr.evaluate({"trips": 4}) is False  # no current question: `.` is null
    assert parse_expression("answered(.)").evaluate({}, this="trips") is False


def test_holds_uses_truthiness():
    assert parse_expression("count(improve)").holds(ANSWERS) is True
    assert parse_expression("none_picked").holds(ANSWERS) is False
    assert parse_expression("missing").holds({}) is False


def test_answers_can_be_any_mapping():
    answers = OrderedDict(trips=2)
    assert ev("trips * 2", answers) == 4


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (None, None),
        (True, True),
        (3, 3),
        (3.0, 3),  # JSON cannot tell 3.0 from 3, so the browser sees 3
        (-0.0, 0),
        (2.5, None),
        (float("nan"), None),
        (float("inf"), None),
        (Fraction(8, 2), 4),
        (Fraction(1, 3), None),
        (2**53, None),
        (-(2**53 - 1), -(2**53 - 1)),
        ((1, "a"), [1, "a"]),
        ([1.0, [True, 1.5]], [1, [True, None]]),
        ({"a": 1}, None),
        (b"x", None),
    ],
)
def test_normalize(raw, normal):
    assert json.dumps(normalize(raw)) == json.dumps(normal)


def test_float_and_huge_answers_follow_normalisation():
    assert ev("trips == 3", {"trips": 3.0}) is True
    assert ev("answered(trips)", {"trips": 2.5}) is False
    assert ev("trips > 0", {"trips": 2**60}) is False


def test_numpy_values_are_understood():
    np = pytest.importorskip("numpy")
    answers = {"trips": np.int64(3), "late": np.bool_(True), "score": np.float64(4.0)}
    assert ev("trips == 3 and late == true and score in [4, 5]", answers) is True
    assert ev("late == 1", answers) is False


def test_truthy():
    assert [truthy(v) for v in (None, False, 0, "", [])] == [False] * 5
    assert [truthy(v) for v in (True, 1, -1, "0", [0], [[]])] == [True] * 6


def test_evaluate_tree_matches_expression_evaluate():
    expr = parse_expression("trips * 2 > 5 and 'info' in improve")
    assert evaluate_tree(expr.tree, ANSWERS) is expr.evaluate(ANSWERS) is True
    assert evaluate_tree(json.loads(json.dumps(expr.tree)), ANSWERS) is True


def test_malformed_tree_is_refused():
    with pytest.raises(ValueError, match="malformed expression tree"):
        evaluate_tree(["pow", ["lit", 2], ["lit", 3]], {})


def test_expression_is_exported_type():
    assert isinstance(parse_expression("x"), Expression)
    assert MAX_SAFE_INTEGER == 9007199254740991
