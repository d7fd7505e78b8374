/*
 * Browser evaluator of questionnaire conditions (relevant, constraint, required).
 *
 * It evaluates the JSON tree that questionnaires/expressions.py produces; it never parses
 * source text and never uses eval.  The Python evaluator is authoritative and this one
 * must give identical results: tests/questionnaires/test_expressions_js.py checks that on
 * thousands of generated expressions.  See expressions.py for the node forms.
 *
 * Answers: numbers for integers, strings, booleans, arrays; null or undefined (or an
 * absent key) for unanswered.  Anything else (a fraction, an object) counts as null, and
 * so does an integer beyond Number.MAX_SAFE_INTEGER, just as on the server.
 *
 * Usage: SipasExpr.evaluate(tree, answers, thisId) -> value
 *        SipasExpr.holds(tree, answers, thisId)    -> boolean (truthiness of the value)
 */
(function (root) {
  "use strict";

  var MAX_SAFE = Number.MAX_SAFE_INTEGER;
  var hasOwn = Object.prototype.hasOwnProperty;

  function normalize(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "boolean" || typeof value === "string") return value;
    if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
    if (Array.isArray(value)) return value.map(normalize);
    return null;
  }

  function isInt(value) {
    return typeof value === "number";  // after normalize() every number is a safe integer
  }

  function truthy(value) {
    if (value === null || value === false || value === 0 || value === "") return false;
    if (Array.isArray(value)) return value.length > 0;
    return true;
  }

  function strictEqual(a, b) {
    if (Array.isArray(a) || Array.isArray(b)) {
      if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) {
        if (!strictEqual(a[i], b[i])) return false;
      }
      return true;
    }
    return a === b;
  }

  // Compare by Unicode code point like Python; the native `<` compares UTF-16 code units,
  // which puts astral characters (emoji) before U+E000..U+FFFF.
  function compareStrings(a, b) {
    var i = 0;
    while (i < a.length && i < b.length) {
      var ca = a.codePointAt(i), cb = b.codePointAt(i);
      if (ca !== cb) return ca < cb ? -1 : 1;
      i += ca > 0xffff ? 2 : 1;  // equal prefixes keep both strings aligned
    }
    if (a.length === b.length) return 0;
    return i < a.length ? 1 : -1;
  }

  function order(op, a, b) {
    var c;
    if (isInt(a) && isInt(b)) c = a < b ? -1 : a > b ? 1 : 0;
    else if (typeof a === "string" && typeof b === "string") c = compareStrings(a, b);
    else return false;
    if (op === "<") return c < 0;
    if (op === "<=") return c <= 0;
    if (op === ">") return c > 0;
    return c >= 0;
  }

  function arithmetic(op, a, b) {
    if (!isInt(a) || !isInt(b)) return null;
    var r = op === "+" ? a + b : op === "-" ? a - b : a * b;
    // Safe operands give an exact result whenever the true result is safe, and an unsafe
    // float whenever it is not, so this check agrees with Python's exact integers.
    if (!Number.isSafeInteger(r)) return null;
    return r === 0 ? 0 : r;  // no -0: it would print as 0 but divide differently
  }

  function member(item, container) {
    if (!Array.isArray(container)) return false;
    for (var i = 0; i < container.length; i++) {
      if (strictEqual(item, container[i])) return true;
    }
    return false;
  }

  function answer(answers, id) {
    // hasOwn: a question called "constructor" must not find Object.prototype.constructor.
    if (answers === null || answers === undefined || !hasOwn.call(answers, id)) return null;
    return normalize(answers[id]);
  }

  function evaluate(tree, answers, thisId) {
    if (!Array.isArray(tree)) throw new Error("malformed expression tree: " + JSON.stringify(tree));
    var op = tree[0], i, v;
    switch (op) {
      case "lit": return normalize(tree[1]);
      case "ref": return answer(answers, tree[1]);
      case "this":
        return thisId === null || thisId === undefined ? null : answer(answers, thisId);
      case "and":
        for (i = 1; i < tree.length; i++) {
          if (!truthy(evaluate(tree[i], answers, thisId))) return false;
        }
        return true;
      case "or":
        for (i = 1; i < tree.length; i++) {
          if (truthy(evaluate(tree[i], answers, thisId))) return true;
        }
        return false;
      case "list":
        v = [];
        for (i = 1; i < tree.length; i++) v.push(evaluate(tree[i], answers, thisId));
        return v;
    }
    var a = tree.length > 1 ? evaluate(tree[1], answers, thisId) : null;
    var b = tree.length > 2 ? evaluate(tree[2], answers, thisId) : null;
    switch (op) {
      case "not": return !truthy(a);
      case "neg": return isInt(a) ? (a === 0 ? 0 : -a) : null;
      case "+": case "-": case "*": return arithmetic(op, a, b);
      case "==": return strictEqual(a, b);
      case "!=": return !strictEqual(a, b);
      case "<": case "<=": case ">": case ">=": return order(op, a, b);
      case "in": return member(a, b);
      case "not in": return !member(a, b);
      case "count": return Array.isArray(a) ? a.length : a === null ? 0 : 1;
      case "answered": return a !== null;
    }
    throw new Error("malformed expression tree: unknown node " + JSON.stringify(op));
  }

  function holds(tree, answers, thisId) {
    return truthy(evaluate(tree, answers, thisId));
  }

  var api = {evaluate: evaluate, holds: holds, truthy: truthy, compareStrings: compareStrings};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (root) root.SipasExpr = api;
})(typeof window !== "undefined" ? window : null);
