"""Survey analysis: designs, estimators, weighting (imports no Flask or SQLAlchemy)."""

from .design import SurveyDesign
from .errors import ConvergenceError, DesignError, LonelyPSUError
from .estimators import Estimate

__all__ = ["SurveyDesign", "Estimate", "DesignError", "LonelyPSUError", "ConvergenceError"]

from .sipas import (  # noqa: E402 (SIPAS layer)
    SipasOptions,
    SipasResult,
    compute_sipas,
    cronbach_alpha,
    kish,
    response_counts,
    weighting_effects,
)

__all__ += ["SipasOptions", "SipasResult", "compute_sipas", "cronbach_alpha", "kish",
            "response_counts", "weighting_effects"]
