"""Produces sipas_element_hand.json: an element index (mean of two ratios) and its SE,
computed exactly with fractions from the linearisation formula (no project code).

    python tests/analysis/results/sipas_element_hand.py > tests/analysis/results/sipas_element_hand.json
"""
import json
from fractions import Fraction as F

# stratum, x1, y1, x2, y2 (x: answered 1-5, y: answered 4 or 5)
ROWS = [(0, 1, 1, 1, 1), (0, 1, 0, 1, 1), (0, 1, 1, 0, 0), (0, 1, 1, 1, 0),
        (1, 1, 1, 1, 1), (1, 1, 0, 1, 0), (1, 0, 0, 1, 1), (1, 1, 1, 1, 1), (1, 1, 0, 0, 0)]
N = {0: 40, 1: 100}                       # dossiers per stratum
n = {s: sum(r[0] == s for r in ROWS) for s in N}
w = [F(N[r[0]], n[r[0]]) for r in ROWS]   # N_h / n_h = 10 and 20
X1 = sum(wi * r[1] for wi, r in zip(w, ROWS)); Y1 = sum(wi * r[2] for wi, r in zip(w, ROWS))
X2 = sum(wi * r[3] for wi, r in zip(w, ROWS)); Y2 = sum(wi * r[4] for wi, r in zip(w, ROWS))
R1, R2 = Y1 / X1, Y2 / X2
# z_i = sum_k c_k (y_ki - R_k x_ki) / X_k with c = (1/2, 1/2)
z = [F(1, 2) * (r[2] - R1 * r[1]) / X1 + F(1, 2) * (r[4] - R2 * r[3]) / X2 for r in ROWS]
var = F(0)
for s in N:   # v = sum_h (1 - n_h/N_h) n_h/(n_h - 1) sum_i (w_i z_i - mean_h)^2
    t = [wi * zi for wi, zi, r in zip(w, z, ROWS) if r[0] == s]
    m = sum(t) / len(t)
    var += (1 - F(len(t), N[s])) * F(len(t), len(t) - 1) * sum((v - m) ** 2 for v in t)
print(json.dumps({
    "how": "python tests/analysis/results/sipas_element_hand.py (exact fractions; Woodruff "
           "1971 linearisation of a linear combination of ratios, stratified SRSWOR "
           "variance with fpc, respondent = PSU)",
    "data": {"stratum": [r[0] for r in ROWS], "w": [float(x) for x in w],
             "x1": [r[1] for r in ROWS], "y1": [r[2] for r in ROWS],
             "x2": [r[3] for r in ROWS], "y2": [r[4] for r in ROWS]},
    "population": {str(k): v for k, v in N.items()},
    "intermediate": {"X1": str(X1), "Y1": str(Y1), "R1": str(R1), "X2": str(X2),
                     "Y2": str(Y2), "R2": str(R2), "variance": str(var)},
    "value": float((R1 + R2) / 2), "se": float(var) ** 0.5}, indent=1))
