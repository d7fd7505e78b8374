// Evaluate a batch of expression trees with questionnaires/static/expressions.js.
// Usage: node js_eval.js cases.json
// cases.json: [{"tree": [...], "answers": {...}, "this": "id" | null}, ...]
// Prints a JSON array with one {"value": v} or {"error": message} per case.
"use strict";
const fs = require("fs");
const path = require("path");
const SipasExpr = require(
  path.join(__dirname, "..", "..", "questionnaires", "static", "expressions.js"));

const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const results = cases.map((c) => {
  try {
    return {value: SipasExpr.evaluate(c.tree, c.answers, c["this"])};
  } catch (err) {
    return {error: String(err && err.message)};
  }
});
process.stdout.write(JSON.stringify(results));
