"""Survey analysis: designs, estimators, weighting (imports no Flask or SQLAlchemy)."""

from .design import SurveyDesign
from .errors import ConvergenceError, DesignError, LonelyPSUError
from .estimators import Estimate

__all__ = ["SurveyDesign", "Estimate", "DesignError", "LonelyPSUError", "ConvergenceError"]

from .sipas import SipasOptions, SipasResult, compute_sipas  # noqa: E402 (SIPAS layer)

__all__ += ["SipasOptions", "SipasResult", "compute_sipas"]
