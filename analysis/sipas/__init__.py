"""SIPAS indices, indicators, rankings and key drivers of a survey wave.

``compute_sipas(responses, questionnaire, units, populations, previous=..., options=...)``
returns a :class:`SipasResult` of plain tables. The batched linearised estimator behind
every figure is :func:`analysis.sipas.linearized.ratio_combinations`.
"""

from .breakdown import domain_breakdown, response_counts
from .comparability import comparable_keys, restrict_previous, signatures
from .compare import change_test, compare_waves
from .compute import compute_sipas
from .diagnostics import cell_counts, compute_diagnostics, cronbach_alpha, kish, weighting_effects
from .inputs import SCOPE, SipasInputError
from .linearized import DesignArrays, LevelEstimate, design_arrays, ratio_combinations
from .result import SipasOptions, SipasResult

__all__ = [
    "SCOPE",
    "DesignArrays",
    "LevelEstimate",
    "SipasInputError",
    "SipasOptions",
    "SipasResult",
    "cell_counts",
    "change_test",
    "comparable_keys",
    "compute_diagnostics",
    "cronbach_alpha",
    "compare_waves",
    "compute_sipas",
    "domain_breakdown",
    "response_counts",
    "restrict_previous",
    "signatures",
    "design_arrays",
    "kish",
    "ratio_combinations",
    "weighting_effects",
]
