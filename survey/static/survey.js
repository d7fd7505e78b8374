/*
 * Survey page glue: shows and hides questions as answers change, using the same
 * expression trees the server evaluates (window.SipasExpr from expressions.js).
 * Without JavaScript the server decides relevance when the page is sent, so this file
 * only makes the page quicker to use; it never decides what is stored.
 */
(function () {
  "use strict";
  // Bring the list of problems to the reader's attention (screen readers announce it).
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // How a question's answer is read from a form, shared with the kiosk (kiosk.js):
  // SipasForm.valueOf(form, {id, values}) -> the typed value, or null when unanswered.
  function inputs(form, id) {
    return form.querySelectorAll('[name="' + id + '"]');
  }

  // Turn a form string into the typed value the server would store (as the API sends).
  function choiceValue(q, text) {
    for (var i = 0; i < q.values.length; i++) {
      if (String(q.values[i]) === text) return q.values[i];
    }
    return text;
  }

  // How to read a question is declared by its type in the registry and arrives as data
  // attributes of its box (questionnaires.types.FormReading), exactly as the server reads it:
  // data-read "one" | "list" | "none", data-words (posted strings with a fixed meaning),
  // data-numeric (digits become an integer); otherwise a choice value keeps its type.
  function reading(form, id) {
    var box = form.querySelector('[data-question="' + id + '"]');
    var ds = box ? box.dataset : {};
    return {read: ds.read || "none", words: ds.words ? JSON.parse(ds.words) : {},
            numeric: ds.numeric !== undefined};
  }

  function valueOf(form, q) {
    var how = reading(form, q.id), els = inputs(form, q.id), i, text = null, picked = [];
    if (how.read === "none") return null;
    for (i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) picked.push(el.value);
      } else {
        text = el.value;
      }
    }
    if (how.read === "list") {
      if (!picked.length) return null;
      // Stored in the order of the choice list, whatever order they were ticked in.
      return q.values.filter(function (v) { return picked.indexOf(String(v)) >= 0; });
    }
    if (picked.length) text = picked[0];
    if (text === null) return null;
    text = text.trim();
    if (text === "") return null;
    if (Object.prototype.hasOwnProperty.call(how.words, text)) return how.words[text];
    if (how.numeric) return /^-?\d+$/.test(text) ? parseInt(text, 10) : text;
    return choiceValue(q, text);
  }
  window.SipasForm = {valueOf: valueOf};

  var dataEl = document.getElementById("survey-relevance");
  var form = document.getElementById("survey-form");
  if (!dataEl || !form || !window.SipasExpr) return;
  var data = JSON.parse(dataEl.textContent);

  function readValue(q) {
    return valueOf(form, q);
  }

  function setShown(id, shown) {
    var box = form.querySelector('[data-question="' + id + '"]');
    if (!box) return;
    box.hidden = !shown;
    // A disabled fieldset is not posted, so a hidden answer is never sent.
    if (box.tagName === "FIELDSET") box.disabled = !shown;
  }

  function update() {
    var answers = {}, k, i, q;
    for (k in data.answers) {
      if (Object.prototype.hasOwnProperty.call(data.answers, k)) answers[k] = data.answers[k];
    }
    for (i = 0; i < data.questions.length; i++) {
      q = data.questions[i];
      var v = readValue(q);
      if (v === null) delete answers[q.id]; else answers[q.id] = v;
    }
    // In definition order, dropping answers to hidden questions before later conditions
    // are evaluated, exactly as Questionnaire.relevance() does on the server.
    for (i = 0; i < data.questions.length; i++) {
      q = data.questions[i];
      var shown = q.relevant === null || window.SipasExpr.holds(q.relevant, answers, q.id);
      if (!shown) delete answers[q.id];
      setShown(q.id, shown);
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
