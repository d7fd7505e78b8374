"""SIPAS indices, indicators, rankings and key drivers of a survey wave.

``compute_sipas(responses, questionnaire, units, populations, previous=..., options=...)``
returns a :class:`SipasResult` of plain tables. The batched linearised estimator behind
every figure is :func:`analysis.sipas.linearized.ratio_combinations`.
"""

from .compute import compute_sipas
from .diagnostics import compute_diagnostics, cronbach_alpha, kish, response_counts, weighting_effects
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
    "compute_diagnostics",
    "compute_sipas",
    "cronbach_alpha",
    "design_arrays",
    "kish",
    "ratio_combinations",
    "response_counts",
    "weighting_effects",
]
