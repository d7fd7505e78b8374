"""The browser evaluator (expressions.js) must agree with the Python one on every tree."""

import json
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from questionnaires.expressions import ExpressionError, parse_expression

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "js_eval.js"
SCRIPT = HERE.parents[1] / "questionnaires" / "static" / "expressions.js"

IDS = ["trips", "channel", "improve", "late", "q_vn", "constructor"]
WORDS = [
    "in_person", "online", "post", "na", "", "a", "b", "Z", "0", "true",
    "Hài lòng", "Rất không hài lòng", "đúng hẹn", "Bộ phận Một cửa", "thư xin lỗi",
    unicodedata.normalize("NFD", "Hài lòng"),  # same text, other code points
    "\U0001F600", "a\U0001F600", "\uffff", "\uff56", "\ue000", "it's", 'say "hi"', "back\\slash",
]
MIN_CASES = 2000


def node_or_skip() -> str:
    """Path of node; a missing node fails under CI=true and skips elsewhere."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required under CI=true to check expressions.js")
        pytest.skip("node is not installed: cannot run expressions.js")
    return node


def run_js(node: str, cases: list[dict], tmp_path: Path) -> list[dict]:
    """Evaluate all cases in one Node process; return its [{"value"|"error": ...}] list."""
    case_file = tmp_path / "cases.json"
    # ensure_ascii keeps lone surrogates and astral characters exact through the file.
    case_file.write_text(json.dumps(cases, ensure_ascii=True), encoding="utf-8")
    done = subprocess.run(
        [node, str(RUNNER), str(case_file)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == len(cases)
    return results


def canonical(value) -> str:
    # JSON text tells true from 1, which Python's == does not.
    return json.dumps(value, ensure_ascii=True)


def mismatches(cases: list[dict], results: list[dict]) -> list[str]:
    bad = []
    for case, result in zip(cases, results):
        if "error" in result or canonical(result["value"]) != canonical(case["expected"]):
            bad.append(f"{case['source']!r} answers={case['answers']!r} this={case['this']!r}: "
                       f"python={case['expected']!r} js={result!r}")
    return bad


# --------------------------------------------------------------------------- generators
# An expression is generated as (text, level); level is the precedence of its top operator
# (0 or, 1 and, 2 not, 3 comparison, 4 + -, 5 *, 6 unary -, 7 atom).  Operands of lower
# level than an operator needs are put in parentheses, and sometimes others are too.

def quote(text: str, quote_char: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(quote_char, "\\" + quote_char)
    return quote_char + escaped.replace("\n", "\\n").replace("\t", "\\t") + quote_char


strings = st.one_of(st.sampled_from(WORDS),
                    st.text(alphabet="aZ\u1ebf\U0001F600\uffff'\"\\", max_size=4))
ints = st.one_of(st.integers(-10**6, 10**6), st.sampled_from([0, 1, -1, 2, 3, 5]))

# Values where a careless evaluator goes wrong: JavaScript's == and < coerce types, and
# its native string order is by UTF-16 code unit.
TRICKY = ["0", "1", "-1", "''", "'0'", "'1'", "'true'", "true", "false", "null", "[]", "[0]",
          "[true]", "['1']", "9007199254740991", "3000000",
          "'\U0001F600'", "'\uffff'", "'a\U0001F600'", "'a\uff56'"]
atoms = st.one_of(
    st.sampled_from(TRICKY).map(lambda text: (text, 6 if text == "-1" else 7)),
    st.builds(lambda n: (str(n), 6 if n < 0 else 7), ints),
    st.builds(lambda s, q: (quote(s, q), 7), strings, st.sampled_from("'\"")),
    st.sampled_from([("true", 7), ("false", 7), ("null", 7), (".", 7)]),
    st.sampled_from(IDS + ["missing"]).map(lambda name: (name, 7)),
)


# Strings whose code-point order differs from their UTF-16 order, and Vietnamese in NFC/NFD.
ORDER_STRINGS = ["\U0001F600", "\uffff", "a\U0001F600", "a\uff56", "\ue000", "a",
                 "Hài lòng", unicodedata.normalize("NFD", "Hài lòng")]
text_sides = st.one_of(
    st.sampled_from(ORDER_STRINGS).map(lambda text: (quote(text, "'"), 7)),
    st.sampled_from(["q_vn", "channel", "."]).map(lambda name: (name, 7)),
)


def operand(expr, minimum: int, parenthesize: bool) -> str:
    text, level = expr
    return f"({text})" if level < minimum or parenthesize else text


def extend(children):
    extra = st.sampled_from([False, False, False, True])  # parentheses now and then anyway

    def binary(op, level, left_min, right_min, spaced=True, sides=children):
        sep = " " if spaced else ""
        return st.builds(
            lambda a, b, pa, pb: (
                f"{operand(a, left_min, pa)}{sep}{op}{sep}{operand(b, right_min, pb)}", level),
            sides, sides, extra, extra)

    def n_ary(op, level):
        return st.builds(
            lambda items, p: (f" {op} ".join(operand(i, level + 1, p) for i in items), level),
            st.lists(children, min_size=2, max_size=4), extra)

    comparisons = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"])
    return st.one_of(
        n_ary("or", 0),
        n_ary("and", 1),
        st.builds(lambda a, p: ("not " + operand(a, 2, p), 2), children, extra),
        comparisons.flatmap(lambda op: binary(op, 3, 4, 4)),
        # Comparisons of two plain values, where type coercion and string order show most.
        comparisons.flatmap(lambda op: binary(op, 3, 4, 4, sides=atoms)),
        comparisons.flatmap(lambda op: binary(op, 3, 4, 4, sides=atoms)),
        comparisons.flatmap(lambda op: binary(op, 3, 4, 4, sides=text_sides)),
        st.sampled_from(["+", "-"]).flatmap(lambda op: binary(op, 4, 4, 5, spaced=op == "+")),
        binary("*", 5, 5, 6),
        binary("*", 5, 5, 6, sides=atoms),  # big literals: results beyond 2**53
        st.builds(lambda a: ("-" + operand(a, 6, False), 6), children),
        st.builds(lambda items: ("[" + ", ".join(t for t, _ in items) + "]", 7),
                  st.lists(children, max_size=4)),
        st.builds(lambda f, a: (f"{f}({a[0]})", 7),
                  st.sampled_from(["count", "answered"]), children),
        st.builds(lambda a: (f"({a[0]})", 7), children),
    )


expressions = st.recursive(atoms, extend, max_leaves=12).map(lambda e: e[0])

scalars = st.one_of(ints, st.sampled_from(WORDS), st.booleans(),
                    st.sampled_from([0, 1, "0", "1", ""]), st.sampled_from(ORDER_STRINGS),
                    st.sampled_from([2**53 - 1, -(2**53 - 1)]))
answer_values = st.one_of(scalars, st.none(), st.lists(scalars, max_size=4),
                          st.lists(st.lists(scalars, max_size=2), max_size=2))
answer_sets = st.dictionaries(st.sampled_from(IDS), answer_values, max_size=len(IDS))
this_ids = st.sampled_from([None, "trips", "improve", "channel", "missing"])


def test_js_agrees_with_python_on_generated_expressions(tmp_path):
    node = node_or_skip()
    cases: list[dict] = []
    rejected: list[str] = []

    @settings(max_examples=1500, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(source=expressions, answers=st.lists(answer_sets, min_size=3, max_size=3), this=this_ids)
    def collect(source, answers, this):
        try:
            expr = parse_expression(source)
        except ExpressionError as err:
            # Only the depth guard may refuse what the generator builds.
            assert "nested too deeply" in err.message or "too complex" in err.message, (source, err)
            rejected.append(source)
            return
        for answer_set in answers:
            cases.append({"source": source, "tree": expr.to_json(), "answers": answer_set,
                          "this": this, "expected": expr.evaluate(answer_set, this)})

    collect()
    assert len(cases) >= MIN_CASES, f"only {len(cases)} cases ({len(rejected)} rejected)"
    bad = mismatches(cases, run_js(node, cases, tmp_path))
    assert not bad, f"{len(bad)} of {len(cases)} differ, e.g.:\n" + "\n".join(bad[:10])


EDGE_CASES = [
    # (source, answers, this, expected)
    ("true == 1", {}, None, False),
    ("false == 0", {}, None, False),
    ("late == 1", {"late": True}, None, False),
    ("'a' < 'b'", {}, None, True),
    ("'b' < 'a'", {}, None, False),
    ("null < 1", {}, None, False),
    ("missing >= 0", {}, None, False),
    ("true < 2", {}, None, False),
    ("1 < '2'", {}, None, False),
    ("1 in [true]", {}, None, False),
    ("true in [1]", {}, None, False),
    ("'1' in [1]", {}, None, False),
    ("[1] in [[1]]", {}, None, True),
    ("[1] == [true]", {}, None, False),
    ("'a' in 'a'", {}, None, False),  # not a list: never a member, whatever JS `in` does
    ("'a' not in 'abc'", {}, None, True),
    ("null + 1", {}, None, None),
    ("trips * 2", {}, None, None),
    ("trips * 2", {"trips": 21}, None, 42),
    ("-trips", {"trips": True}, None, None),
    ("'a' + 'b'", {}, None, None),
    ("0 * -5", {}, None, 0),
    ("9007199254740991 + 1", {}, None, None),
    ("trips * trips", {"trips": 100_000_000}, None, None),
    ("trips + 1", {"trips": 2**53}, None, None),  # beyond safe integers: unanswered
    ("trips == 3", {"trips": 3.0}, None, True),
    ("answered(trips)", {"trips": 2.5}, None, False),
    ("'\U0001F600' > '\uffff'", {}, None, True),  # UTF-16 order would say the opposite
    ("'a\U0001F600' < 'a\uff56'", {}, None, False),
    ("q_vn > 'z'", {"q_vn": "\U0001F600"}, None, True),
    ("q_vn == 'Hài lòng'", {"q_vn": unicodedata.normalize("NFD", "Hài lòng")}, None, False),
    ("q_vn < 'Hài lòng'", {"q_vn": unicodedata.normalize("NFD", "Hài lòng")}, None, True),
    ("'ab' < 'abc' and 'abc' > 'ab'", {}, None, True),
    ("zero or empty or none or missing", {"zero": 0, "empty": "", "none": []}, None, False),
    ("trips or 0", {"trips": 2}, None, True),
    ("count(improve)", {"improve": ["a", "b"]}, None, 2),
    ("count(channel) + count(missing)", {"channel": "post"}, None, 1),
    ("answered(.)", {"trips": 0}, "trips", True),
    (". > 3", {"trips": 4}, None, False),
    ("constructor", {}, None, None),  # not Object.prototype.constructor
    ("__proto__ == null", {}, None, True),
    ("__proto__ + 1", {"__proto__": 4}, None, 5),
    ("toString in [null]", {}, None, True),
    ("x", {"x": {"a": 1}}, None, None),
    ("[x, y]", {"x": [1, [True, "é"]], "y": None}, None, [[1, [True, "é"]], None]),
]


def test_js_agrees_with_python_on_edge_cases(tmp_path):
    node = node_or_skip()
    cases = []
    for source, answers, this, expected in EDGE_CASES:
        value = parse_expression(source).evaluate(answers, this)
        assert canonical(value) == canonical(expected), source
        cases.append({"source": source, "tree": parse_expression(source).to_json(),
                      "answers": answers, "this": this, "expected": value})
    bad = mismatches(cases, run_js(node, cases, tmp_path))
    assert not bad, "\n".join(bad)


def test_js_refuses_malformed_trees(tmp_path):
    node = node_or_skip()
    cases = [{"source": "-", "tree": ["pow", ["lit", 2]], "answers": {}, "this": None}]
    assert "malformed expression tree" in run_js(node, cases, tmp_path)[0]["error"]


def test_js_has_no_eval_and_registers_in_the_browser():
    node = node_or_skip()
    text = SCRIPT.read_text(encoding="utf-8")
    assert "eval(" not in text and "Function(" not in text
    # A fresh context with only `window`, as in a browser page: no module, no require.
    program = (
        "const vm = require('vm'); const fs = require('fs');"
        "const ctx = {window: {}}; vm.createContext(ctx);"
        "vm.runInContext(fs.readFileSync(process.argv[1], 'utf8'), ctx);"
        "const e = ctx.window.SipasExpr;"
        "process.stdout.write(JSON.stringify([typeof e.evaluate,"
        " e.evaluate(['==', ['ref', 'q'], ['lit', 1]], {q: 1}, null),"
        " e.holds(['ref', 'q'], {}, null)]));"
    )
    done = subprocess.run([node, "-e", program, str(SCRIPT)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["function", True, False]
