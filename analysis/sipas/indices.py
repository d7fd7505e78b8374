"""Criterion, element and overall indices as linear combinations of ratios.

With ``method: share`` the criterion variable is ``y = 100 * [answer in satisfied]`` over
``x = [answer in 1..5]`` ("na" and missing excluded), so a criterion index is a ratio
estimator on the 0-100 scale. With ``mean100`` it is ``y = (answer - 1) / 4 * 100``.
An element index is the weighted mean of its criteria indices and the overall index the
weighted mean of element indices (or the share of the overall question when ``overall``
names one): both are linear in the criterion ratios, so all of them go through the same
batched estimator. A domain where some criterion has no answers averages over the
criteria it has (weights re-normalised), and likewise for elements; the coefficients are
then treated as fixed given which criteria have data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inputs import SipasInputError, scale_codes

__all__ = ["IndexPlan", "plan_indices"]


@dataclass
class IndexPlan:
    """The K ratio variables and Q combinations of the indices of one questionnaire."""

    questions: list          # K question ids: criteria, then the overall question if any,
                             # then the elements' own overall questions
    num: list                # K arrays (N,) float32: 0-100 scores where answered, else 0
    den: list                # K arrays (N,) bool: answered 1..5
    ids: list                # Q (kind, id)
    logit: list              # Q bools: single-criterion shares use the logit CI
    element_of: np.ndarray   # (K,) element position of each criterion, -1 for the overall q.
    criterion_weight: np.ndarray   # (K,)
    element_weight: np.ndarray     # (E,)
    overall_question: int | None   # K position of the overall question

    def coefficients(self, avail: np.ndarray) -> np.ndarray:
        """Effective (D, Q, K) coefficients given which ratios have data in each domain."""
        D, K = avail.shape
        E = self.element_weight.size
        crit = np.flatnonzero(self.element_of >= 0)
        Q = len(self.ids)
        C = np.zeros((D, Q, K))
        # single criteria (and the overall question), in K order
        C[:, np.arange(K), np.arange(K)] = avail
        # elements: weighted mean over the criteria that have data
        M = np.zeros((E, K))
        M[self.element_of[crit], crit] = self.criterion_weight[crit]
        Ce = M[None] * avail[:, None, :]
        tot = Ce.sum(axis=2, keepdims=True)
        Ce = np.divide(Ce, tot, out=np.zeros_like(Ce), where=tot > 0)
        C[:, K:K + E, :] = Ce
        if self.overall_question is None:
            ev = self.element_weight[None, :] * (tot[:, :, 0] > 0)
            et = ev.sum(axis=1, keepdims=True)
            ev = np.divide(ev, et, out=np.zeros_like(ev), where=et > 0)
            C[:, K + E, :] = np.einsum("de,dek->dk", ev, Ce)
        else:
            C[:, K + E, self.overall_question] = avail[:, self.overall_question]
        return C


def plan_indices(responses: pd.DataFrame, spec) -> IndexPlan:
    """Turn the ``analysis`` block and the responses into ratio variables and combinations.

    Raises
    ------
    SipasInputError
        No elements, criteria absent from the responses, an unknown method, or scale
        columns holding something other than 1-5 and "na".
    """
    if spec.method not in ("share", "mean100"):
        raise SipasInputError(f"unknown analysis method {spec.method!r} (share or mean100)")
    if not spec.elements:
        raise SipasInputError("the definition's analysis block has no elements")
    criteria = [(e_pos, c) for e_pos, e in enumerate(spec.elements) for c in e.criteria]
    if not criteria:
        raise SipasInputError("the definition's analysis elements have no criteria")
    questions = [c.question for _, c in criteria]
    overall_q = None if spec.overall == "mean_of_elements" else spec.overall
    if overall_q is not None:
        questions.append(overall_q)
    missing = [q for q in dict.fromkeys(questions) if q not in responses.columns]
    if missing:
        raise SipasInputError("criteria of the definition are absent from the responses: "
                              + ", ".join(missing))
    # Each element's own overall question is reported as a share too (not combined);
    # older exports may lack it, so an absent one is simply not reported.
    extras = [e.overall_question for e in spec.elements
              if e.overall_question and e.overall_question in responses.columns
              and e.overall_question not in questions]
    questions += list(dict.fromkeys(extras))
    satisfied = np.asarray(spec.satisfied, dtype=np.float64)
    num, den = [], []
    for q in questions:
        x = scale_codes(responses[q], q)
        answered = ~np.isnan(x)
        if spec.method == "share":
            score = np.where(np.isin(x, satisfied), 100.0, 0.0)
        else:
            score = np.where(answered, (x - 1) * 25.0, 0.0)
        num.append(score.astype(np.float32))
        den.append(answered)
    if not any(d.any() for d in den):
        raise SipasInputError("no response answers any criterion 1-5 (all missing or 'na')")
    K = len(questions)
    n_single = K - len(criteria)
    element_of = np.array([e for e, _ in criteria] + [-1] * n_single)
    cw = np.array([float(c.weight) for _, c in criteria] + [1.0] * n_single)
    ew = np.array([float(e.weight) for e in spec.elements])
    if np.any(cw <= 0) or np.any(ew <= 0):
        raise SipasInputError("criterion and element weights must be positive")
    ids = ([("criterion", q) for q in questions[:len(criteria)]]
           + [("question", q) for q in questions[len(criteria):]]
           + [("element", e.id) for e in spec.elements] + [("overall", "overall")])
    share = spec.method == "share"
    logit = [share] * K + [False] * len(spec.elements) + [share and overall_q is not None]
    return IndexPlan(questions=questions, num=num, den=den, ids=ids, logit=logit,
                     element_of=element_of, criterion_weight=cw, element_weight=ew,
                     overall_question=len(criteria) if overall_q else None)
