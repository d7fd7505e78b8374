"""Sections of the report computed from extra tables: the tables by service field and
channel, responses against dossiers, the trend across waves, and the methods appendix.

A mixin of :class:`analysis.report.context._Builder`, kept apart so that each module stays
readable; everything returned is plain data, like the rest of the context.
"""

from __future__ import annotations

import pandas as pd

from ..sipas.breakdown import unit_counts
from .formatting import fmt_int, fmt_number, fmt_percent, is_missing, plain_record
from .unit_rows import derived, unit_records

VERDICT_TEXT = {"better": "trend_better", "worse": "trend_worse", "no_change": "trend_same"}


def _num(value) -> float | None:
    """A plain float, or None for a missing value."""
    return None if is_missing(value) else float(value)


def _is(value, text: str) -> bool:
    """Whether a table's value is the text ``text`` (False for a missing value)."""
    return isinstance(value, str) and value == text


def _rows(df: pd.DataFrame | None, unit_code: str, kind: str | None = None) -> dict[str, dict]:
    """The rows of one unit (and kind) as ``{id: {column: plain value}}``."""
    out = {}
    for rec in unit_records(df, unit_code):
        if kind is not None and not _is(rec["kind"], kind):
            continue
        out[str(rec["id"])] = plain_record(rec)
    return out


def _unit_directory(units: pd.DataFrame) -> tuple[dict[str, dict], dict[object, list[str]]]:
    """The unit table (``{code: {name, name_en, kind, parent_code}}``) and each parent's
    children in the frame's order (``{parent_code: [code, ...]}``), made once per unit
    frame and shared (read-only): a bulk run builds every report of a wave from one frame,
    whose size is the wave's whole unit tree."""
    if not isinstance(units, pd.DataFrame) or "code" not in units:
        from .context import ReportError        # (context imports this module)
        raise ReportError("units must be a DataFrame with the columns code, name, parent_code")
    return derived(units, "report_units", _directory)


def _directory(units: pd.DataFrame) -> tuple[dict[str, dict], dict[object, list[str]]]:
    table: dict[str, dict] = {}
    for rec in units.to_dict("records"):
        clean = plain_record(rec)
        table[str(clean["code"])] = clean
    kids: dict[object, list[str]] = {}
    for code, info in table.items():
        kids.setdefault(info.get("parent_code"), []).append(code)
    return table, kids


def _sample_sizes(units: pd.DataFrame) -> tuple[dict, dict]:
    """Responses and dossiers by unit code in a result's unit table."""
    codes = units["code"].astype(str)
    resp = dict(zip(codes, units["responses"])) if "responses" in units else {}
    return resp, dict(zip(codes, units.get("dossiers", 0)))


def _unit_name(info: dict, lang: str) -> str:
    """The unit's name in ``lang``; Vietnamese proper names stand in for a missing English one."""
    name = (info.get("name_en") if lang == "en" else None) or info.get("name") or info.get("code")
    return str(name)


class Sections:
    """The breakdown, trend and methods sections (mixed into the report builder)."""

    def breakdown(self) -> dict:
        """The unit's overall index by service field and by channel, and its responses
        against dossiers per field (from :func:`analysis.sipas.domain_breakdown` and
        :func:`analysis.sipas.response_counts`)."""
        b = self.breakdowns
        names = b.get("field_names") or {}

        def rows(table, label):
            out = []
            for rec in unit_records(table, self.unit):
                if not _is(rec["kind"], "overall") or not rec.get("n"):
                    continue
                rec = plain_record(rec)
                out.append({"label": label(str(rec["domain"])), **self.estimate(rec)})
            return out

        counts = []
        if b.get("counts") is not None and len(b["counts"]):
            for rec in unit_counts(b["counts"], self.unit_frame, self.unit).to_dict("records"):
                field = rec["service_field"]
                counts.append({
                    "label": self.t["method_total"] if field is None else names.get(field, field or "–"),
                    "total": field is None,
                    "responses_text": fmt_int(rec["responses"], self.lang),
                    "dossiers_text": fmt_int(rec["dossiers"], self.lang),
                    "fraction_text": ("–" if is_missing(rec["fraction"]) else
                                      fmt_percent(rec["fraction"] * 100, self.lang))})
        # The collection modes (counts of the unit's subtree, given by the caller).
        modes = b.get("modes") or {}
        total = sum(modes.values())
        mix = [{"label": self.t.get(f"mode_{mode}", mode), "n_text": fmt_int(n, self.lang),
                "share_text": fmt_percent(100 * n / total, self.lang)}
               for mode, n in modes.items() if n] if total else []
        return {"by_field": rows(b.get("by_field"), lambda c: names.get(c, c)),
                "modes": mix,
                "by_channel": rows(b.get("by_channel"),
                                   lambda c: self.t.get(f"channel_{c}", c).capitalize()),
                "counts": counts}

    def trend(self) -> list:
        """The unit's overall index in each wave, with the significance of each change."""
        out, before = [], None
        for info, result in self.history:
            row = (_rows(result.indices, self.unit, "overall").get("overall")
                   if result is not None else None)
            est = self.estimate(row, before)
            info = info or {}
            label = ((info.get("name_en") if self.lang == "en" else None) or info.get("name")
                     or info.get("code") or "")
            verdict = est["verdict"]
            out.append({"label": str(label), **est,
                        "verdict_text": self.t[VERDICT_TEXT[verdict]] if verdict in VERDICT_TEXT
                        else "–"})
            before = row
        return out if len(out) > 1 else []

    def quality(self) -> list[str]:
        """What the analysis did with flagged responses (``meta["quality"]``), if known."""
        quality = self.r.meta.get("quality")
        if not quality:
            return []

        def flags(counts):
            return "; ".join(f"{self.t.get('flag_' + f, f)}: {fmt_int(n, self.lang)}"
                             for f, n in counts.items()) or "–"

        rule = self.t["quality_rule_" + quality.get("mode", "none")]
        out = []
        if quality.get("excluded"):
            out.append(self.tx("method_quality_excluded", n=fmt_int(quality["excluded"], self.lang),
                               rule=rule, flags=flags(quality.get("excluded_by_flag") or {})))
        else:
            out.append(self.t["method_quality_none"])
        if quality.get("included"):
            out.append(self.tx("method_quality_included", n=fmt_int(quality["included"], self.lang),
                               flags=flags(quality.get("included_by_flag") or {})))
        return out

    def method(self) -> dict:
        spec = self.spec
        if spec.method == "mean100":
            index_text = self.t["method_index_mean100"]
        else:
            levels = (self.t["satisfied_levels"] if tuple(spec.satisfied) == (4, 5) else
                      self.tx("satisfied_custom", levels=", ".join(map(str, spec.satisfied))))
            index_text = self.tx("method_index_share", satisfied=levels)
        combine = (self.t["method_index_combine"] if spec.overall == "mean_of_elements"
                   else self.t["method_index_question"])
        w = self.r.weighting or {}
        choices = w.get("choices") or {}
        weights = [self.t["method_weights"]]
        if self.r.meta.get("unweighted"):
            weights = [self.t["method_unweighted"]]
        cells = w.get("cells")
        if cells is not None and len(cells):       # records, or a DataFrame
            weights.append(self.tx("method_weights_cells", cells=fmt_int(len(cells), self.lang)))
        if choices.get("raking"):
            # Name the margins actually used (a margin nobody answered is skipped).
            used = [m for m in (choices["raking"].get("margins") or []) if m in self.q.questions]
            names = "; ".join(self.label(self.q.questions[m].label) for m in used)
            weights.append(self.tx("method_raked", margins=names or "–"))
        if choices.get("trimming"):
            limit = (self.r.meta.get("options") or {}).get("trim")
            weights.append(self.tx("method_trimmed", limit=fmt_number(limit, self.lang, 1)))
        weights.extend(self.quality())
        # Sample sizes of the unit and its children, counting the whole subtree of each.
        resp, doss = derived(self.r.units, "sample_sizes", _sample_sizes)
        kids = self.kids

        def subtree(code):
            stack, total_r, total_d = [code], 0, 0.0
            while stack:
                c = stack.pop()
                total_r += int(resp.get(c, 0) or 0)
                total_d += float(doss.get(c, 0) or 0)
                stack.extend(kids.get(c, []))
            return total_r, total_d

        sample = []
        for code in [self.unit] + sorted(kids.get(self.unit, []),
                                         key=lambda c: _unit_name(self.units[c], self.lang)):
            n, dossiers = subtree(code)
            sample.append({"name": _unit_name(self.units[code], self.lang), "n": n,
                           "n_text": fmt_int(n, self.lang), "dossiers": dossiers,
                           "dossiers_text": fmt_int(dossiers, self.lang), "is_unit": code == self.unit})
        std = self.opts
        pct = lambda v: fmt_percent(float(v) * 100, self.lang, 0)       # noqa: E731
        return {"index": [index_text, combine], "weights": weights,
                "ci": [self.t["method_ci"], self.t["method_ci_shares"], self.t["method_ci_indices"],
                       self.t["method_lonely"]],
                "suppression": [self.tx("method_suppression", min_n=self.min_n,
                                        width=pct(std.get("max_ci_width", 0.30)),
                                        rel_from=pct(std.get("rel_width_from", 0.05)),
                                        rel=pct(std.get("max_rel_ci_width", 1.30)),
                                        min_df=int(std.get("min_df", 8)))],
                "tests": [self.tx("method_tests", level=pct(self.alpha),
                                  min_events=fmt_number(std.get("min_events", 5), self.lang, 0)),
                          self.t[f"method_multiple_{std.get('multiple', 'holm')}"],
                          self.tx("method_ranks", draws=fmt_int(std.get("rank_draws", 1000),
                                                                 self.lang)),
                          self.t["method_changes"]],
                "domain": self.t["method_domain"],
                "questionnaire": self.tx("method_questionnaire", title=self.label(self.q.title),
                                         qid=self.q.id, version=self.q.version),
                "sample": sample,
                "filters": (self.tx("method_filter", filter=self.filter_text)
                            if self.filter_text else "")}
