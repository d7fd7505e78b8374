"""Tiny data sets with estimates and variances worked out by hand from textbook formulas.

Each number was derived with exact fractions (Python's ``fractions.Fraction``) from the
formula in the comment beside it, not with ``analysis``; notation: n sample size, N
population size, f = n/N, s^2 the sample variance with divisor n - 1.
"""

# -- Simple random sample: y = 3, 5, 2, 8, 6, 4; every weight N/n = 10; N = 60 ----------
SRS_Y = [3, 5, 2, 8, 6, 4]
SRS_N = 60
SRS_MEAN = 4.666666666666667            # ybar = 28 / 6
SRS_MEAN_VAR_WR = 0.7777777777777778    # s^2 / n = (14/3) / 6             (no fpc)
SRS_MEAN_VAR_WOR = 0.7                  # (1 - f) s^2 / n = 0.9 * 14/18    (fpc N = 60)
SRS_TOTAL = 280.0                       # N ybar
SRS_TOTAL_VAR_WOR = 2520.0              # N^2 (1 - f) s^2 / n
# deff of the mean without fpc = V_wr / ((N - n)/(N n) s^2) = (1/n) / ((1 - f)/n) = 1/(1-f)
SRS_MEAN_DEFF_WR = 1 / 0.9

# Ratio on the same rows, x = 10, 12, 8, 15, 11, 9, fpc N = 60:
SRS_X = [10, 12, 8, 15, 11, 9]
RATIO = 0.4307692307692308              # R = sum y / sum x = 28 / 65
RATIO_VAR_WOR = 0.00199475368509506     # (1 - f) / (n xbar^2) * s_e^2, e = y - R x

# -- Stratified SRS: stratum 1 y = 3, 5, 2 (N1 = 30, w = 10); stratum 2 y = 8, 6, 4, 7
#    (N2 = 80, w = 20) ---------------------------------------------------------------------
STRAT_Y = {1: [3, 5, 2], 2: [8, 6, 4, 7]}
STRAT_N = {1: 30, 2: 80}
STRAT_TOTAL = 600.0                         # sum_h N_h ybar_h
STRAT_TOTAL_VAR_WOR = 5063.333333333333     # sum_h N_h^2 (1 - f_h) s_h^2 / n_h
STRAT_TOTAL_VAR_WR = 5366.666666666667      # sum_h N_h^2 s_h^2 / n_h
STRAT_MEAN = 5.454545454545454              # total / (N1 + N2)
STRAT_MEAN_VAR_WOR = 0.4184573002754821     # V(total) / (N1 + N2)^2

# -- One-stage cluster sample: 4 of 20 clusters, every element weight 5 -------------------
CLUSTERS = {"a": [4, 6], "b": [5, 7, 9], "c": [2, 3], "d": [8, 6, 7]}
CLUSTER_N = 20
CLUSTER_MEAN = 5.7                          # sum t_j / sum m_j = 57 / 10
# (1 - n/N) / (n Mbar^2) * sum_j (t_j - ybar m_j)^2 / (n - 1),  Mbar = 10/4
CLUSTER_MEAN_VAR_WOR = 0.7822933333333333
CLUSTER_MEAN_VAR_WR = 0.9778666666666667    # the same without (1 - n/N)

# -- Post-stratified SRS (with replacement), n = 8, weights 10 -----------------------------
# post-stratum 0: y = 3, 4, 5, 4 (population 50); post-stratum 1: y = 9, 8, 10, 9 (70)
PS_Y = [3, 4, 5, 4, 9, 8, 10, 9]
PS_G = [0, 0, 0, 0, 1, 1, 1, 1]
PS_POP = {0: 50, 1: 70}
PS_MEAN = 6.916666666666667                 # sum_g (N_g / N) ybar_g
# Linearised with the post-stratification residuals z_i = (N_g / n_g)(y_i - ybar_g) / N:
# V = n/(n - 1) sum_g (N_g / (N n_g))^2 sum_{i in g} (y_i - ybar_g)^2
PS_MEAN_VAR = 0.07341269841269842
# Treating the post-stratified weights as fixed: z_i = w_i (y_i - ybar_ps) / N,
# V = n/(n - 1) sum_i (z_i - zbar)^2
PS_MEAN_VAR_NAIVE = 0.9173555996472663
