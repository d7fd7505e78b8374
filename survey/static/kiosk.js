/*
 * The kiosk at the desk: welcome screen, the questionnaire step by step, thank-you
 * screen, and back to the welcome screen after each answer or after inactivity (with a
 * visible countdown), wiping every answer of the abandoned session.
 *
 * Answers are put in a queue in IndexedDB first, then sent to the JSON API in order, one
 * at a time, each with its own submission id (the server stores a retried id once), with
 * the times they were started and given. Without a network they wait there, across
 * reloads, and the kiosk says how many are waiting. The service worker (kiosk-sw.js)
 * keeps the page and its scripts so that the kiosk also reloads offline.
 *
 * Relevance uses the expression trees the server evaluates (SipasExpr, expressions.js)
 * and answers are read as the citizens' pages read them (SipasForm, survey.js).
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("kiosk-config");
  var form = document.getElementById("survey-form");
  if (!cfgEl || !form || !window.SipasExpr || !window.SipasForm) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var texts = JSON.parse(document.getElementById("kiosk-texts").textContent);
  var welcome = document.getElementById("kiosk-welcome");
  var thanks = document.getElementById("kiosk-thanks");
  var idleBox = document.getElementById("kiosk-idle");
  var queueEl = document.getElementById("kiosk-queue");
  var langSwitch = document.querySelector(".lang-switch");
  var steps = Array.prototype.slice.call(form.querySelectorAll(".kiosk-step"));
  var root = document.documentElement;

  var session = null;       // {id, startedAt} while someone is answering
  var current = -1;         // index of the step shown, -1 when none
  var idleTimer = null, countdownTimer = null, thanksTimer = null;

  function say(template, n) { return template.replace("{n}", String(n)); }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [], i;
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    for (i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  /* ---- answers and relevance ---- */

  function box(id) { return form.querySelector('[data-question="' + id + '"]'); }

  // The answers given so far, dropping those to questions no longer relevant (in
  // definition order, as Questionnaire.relevance() does); shows and hides as it goes.
  function evaluate(apply) {
    var answers = {}, shownElements = {}, i, q;
    for (i = 0; i < cfg.elements.length; i++) {
      var e = cfg.elements[i];
      shownElements[e.id] = e.relevant === null || window.SipasExpr.holds(e.relevant, answers);
    }
    var relevant = {};
    for (i = 0; i < cfg.questions.length; i++) {
      q = cfg.questions[i];
      if (q.answerable) {
        var v = window.SipasForm.valueOf(form, q);
        if (v !== null) answers[q.id] = v;
      }
    }
    for (i = 0; i < cfg.questions.length; i++) {
      q = cfg.questions[i];
      var shown = shownElements[q.element] &&
        (q.relevant === null || window.SipasExpr.holds(q.relevant, answers, q.id));
      relevant[q.id] = shown;
      if (!shown) delete answers[q.id];
      if (apply) {
        var b = box(q.id);
        if (b) {
          b.hidden = !shown;
          if (b.tagName === "FIELDSET") b.disabled = !shown;
        }
      }
    }
    return {answers: answers, relevant: relevant, elements: shownElements};
  }

  function stepShown(index, state) {
    return state.elements[steps[index].dataset.element] !== false;
  }

  function missing(index, state) {
    var bad = [];
    cfg.questions.forEach(function (q) {
      if (q.element !== steps[index].dataset.element || !q.answerable || !state.relevant[q.id]) return;
      var required = q.required === true ||
        (q.required !== false && window.SipasExpr.holds(q.required, state.answers, q.id));
      if (required && !Object.prototype.hasOwnProperty.call(state.answers, q.id)) bad.push(q.id);
    });
    return bad;
  }

  function markErrors(index, bad) {
    var step = steps[index];
    Array.prototype.forEach.call(step.querySelectorAll("[data-question]"), function (b) {
      var wrong = bad.indexOf(b.dataset.question) >= 0;
      b.classList.toggle("has-error", wrong);
      if (wrong) b.setAttribute("aria-invalid", "true"); else b.removeAttribute("aria-invalid");
    });
    step.querySelector(".kiosk-step-error").hidden = bad.length === 0;
  }

  /* ---- screens ---- */

  function showOnly(el) {
    welcome.hidden = el !== welcome;
    thanks.hidden = el !== thanks;
    form.hidden = el !== form;
    if (langSwitch) langSwitch.hidden = el !== welcome;
    root.dataset.kioskScreen = el === welcome ? "welcome" : el === thanks ? "thanks" : "step";
  }

  function showStep(index) {
    current = index;
    steps.forEach(function (s, i) { s.hidden = i !== index; });
    showOnly(form);
    root.dataset.kioskStep = String(index);
    window.scrollTo(0, 0);
    var title = steps[index].querySelector(".element-title");
    if (title) title.focus();
  }

  // Wipe everything of the session: inputs, errors, ids; back to the welcome screen.
  function reset() {
    clearTimers();
    form.reset();
    Array.prototype.forEach.call(form.querySelectorAll("input, textarea, select"), function (el) {
      if (el.type === "radio" || el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else el.value = "";
    });
    steps.forEach(function (s, i) { markErrors(i, []); s.hidden = true; });
    evaluate(true);
    session = null;
    current = -1;
    idleBox.hidden = true;
    delete root.dataset.kioskStep;
    showOnly(welcome);
    window.scrollTo(0, 0);
    document.getElementById("kiosk-start").focus();
  }

  function start() {
    reset();
    session = {id: uuid4(), startedAt: new Date().toISOString()};
    var state = evaluate(true);
    for (var i = 0; i < steps.length; i++) {
      if (stepShown(i, state)) { showStep(i); break; }
    }
    armIdle();
  }

  function move(direction) {
    var state = evaluate(true);
    if (direction > 0) {
      var bad = missing(current, state);
      markErrors(current, bad);
      if (bad.length) {
        var first = box(bad[0]);
        if (first) first.scrollIntoView();
        return;
      }
    }
    for (var i = current + direction; i >= 0 && i < steps.length; i += direction) {
      if (stepShown(i, state)) { showStep(i); return; }
    }
    if (direction > 0) submit(state.answers);
  }

  function submit(answers) {
    var body = {wave: cfg.wave, point: cfg.point, submission_id: session.id,
                started_at: session.startedAt, submitted_at: new Date().toISOString(),
                answers: answers};
    session = null;
    clearTimers();
    enqueue(body).then(function () { refreshCount(); flush(); });
    showOnly(thanks);
    thanks.querySelector("h2").focus();
    countdown(document.getElementById("kiosk-thanks-countdown"), texts.thanks,
              cfg.thanksSeconds, reset);
  }

  /* ---- inactivity ---- */

  function clearTimers() {
    [idleTimer, countdownTimer, thanksTimer].forEach(function (t) { if (t) clearTimeout(t); });
    idleTimer = countdownTimer = thanksTimer = null;
  }

  function countdown(el, template, seconds, done) {
    var left = seconds;
    function tick() {
      el.textContent = say(template, left);
      if (left <= 0) { done(); return; }
      left -= 1;
      var t = setTimeout(tick, 1000);
      if (el.id === "kiosk-thanks-countdown") thanksTimer = t; else countdownTimer = t;
    }
    tick();
  }

  function armIdle() {
    if (idleTimer) clearTimeout(idleTimer);
    if (!session) return;
    idleTimer = setTimeout(function () {
      idleBox.hidden = false;
      document.getElementById("kiosk-continue").focus();
      countdown(document.getElementById("kiosk-idle-countdown"), texts.idle,
                cfg.countdownSeconds, reset);
    }, cfg.idleSeconds * 1000);
  }

  function stillHere() {
    if (countdownTimer) clearTimeout(countdownTimer);
    countdownTimer = null;
    idleBox.hidden = true;
    armIdle();
  }

  ["pointerdown", "keydown", "input", "change", "touchstart", "scroll"].forEach(function (type) {
    document.addEventListener(type, function () {
      if (session && idleBox.hidden) armIdle();
    }, {passive: true, capture: true});
  });

  /* ---- the queue (IndexedDB) ---- */

  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("sipas-kiosk", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});
          req.result.createObjectStore("refused", {keyPath: "seq", autoIncrement: true});
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function tx(stores, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode), result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        work(t, function (value) { result = value; });
      });
    });
  }

  function enqueue(body) {
    return tx(["queue"], "readwrite", function (t) { t.objectStore("queue").add({body: body}); });
  }

  function queued() {
    // Keys are increasing: getAll returns the answers in the order they were given.
    return tx(["queue"], "readonly", function (t, done) {
      var r = t.objectStore("queue").getAll();
      r.onsuccess = function () { done(r.result); };
    });
  }

  function counts() {
    return tx(["queue", "refused"], "readonly", function (t, done) {
      var out = {};
      var a = t.objectStore("queue").count(), b = t.objectStore("refused").count();
      a.onsuccess = function () { out.waiting = a.result; };
      b.onsuccess = function () { out.refused = b.result; done(out); };
    });
  }

  function sent(item) {
    return tx(["queue"], "readwrite", function (t) { t.objectStore("queue").delete(item.seq); });
  }

  // A body the server will never take (4xx other than 401/408/429) is kept apart, not lost.
  function refuse(item, status) {
    return tx(["queue", "refused"], "readwrite", function (t) {
      t.objectStore("queue").delete(item.seq);
      t.objectStore("refused").add({body: item.body, status: status});
    });
  }

  var revoked = false;
  function refreshCount() {
    return counts().then(function (c) {
      var parts = [];
      if (revoked) parts.push(texts.revoked);
      if (c.waiting) parts.push(say(texts.waiting, c.waiting));
      if (c.refused) parts.push(say(texts.refused, c.refused));
      queueEl.textContent = parts.join(" ");
      root.dataset.kioskWaiting = String(c.waiting);
    });
  }

  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    flushing = queued().then(function (items) { return sendFrom(items, 0); })
      .catch(function () { /* offline or storage busy: the next round retries */ })
      .then(function () { flushing = null; return refreshCount(); });
    return flushing;
  }

  // One at a time, in order; stop at the first that cannot be sent now, so that none
  // overtakes an earlier one.
  function sendFrom(items, i) {
    if (i >= items.length) return Promise.resolve();
    var item = items[i];
    return fetch(cfg.api, {
      method: "POST", credentials: "omit", cache: "no-store",
      headers: {"Content-Type": "application/json", "Authorization": "Device " + cfg.token,
                "Accept-Language": cfg.lang},
      body: JSON.stringify(item.body)
    }).then(function (res) {
      if (res.status === 200 || res.status === 201) {
        revoked = false;
        return sent(item).then(function () { return sendFrom(items, i + 1); });
      }
      if (res.status === 401) { revoked = true; return null; }
      if (res.status === 408 || res.status === 429 || res.status >= 500) return null;
      return refuse(item, res.status).then(function () { return sendFrom(items, i + 1); });
    });
  }

  /* ---- offline copy of the kiosk (service worker) ---- */

  function cacheForOffline() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(cfg.serviceWorker, {scope: cfg.scope}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = cfg.pages.slice();
      Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet]"),
        function (el) { urls.push(el.src || el.href); });
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { root.dataset.kioskCached = "yes"; };
      reg.active.postMessage({type: "cache", urls: urls}, [channel.port2]);
    }).catch(function () { /* no offline copy: the kiosk still works online */ });
  }

  /* ---- wiring ---- */

  document.getElementById("kiosk-start").addEventListener("click", start);
  document.getElementById("kiosk-continue").addEventListener("click", stillHere);
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    move(button.dataset.action === "next" ? 1 : -1);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("change", function () { evaluate(true); });
  form.addEventListener("input", function () { evaluate(true); });
  // Back/forward (bfcache) must never bring a previous person's answers back.
  window.addEventListener("pageshow", function (event) { if (event.persisted) reset(); });
  window.addEventListener("pagehide", function () { form.reset(); });
  window.addEventListener("online", flush);
  setInterval(flush, (cfg.retrySeconds || 15) * 1000);

  reset();
  refreshCount();
  flush();
  cacheForOffline();
  root.dataset.kioskReady = "yes";
})();
