"""Exceptions raised by the survey-design layer.

All of them derive from :class:`DesignError`, itself a :class:`ValueError`, so callers that
only care about "bad input" can catch ``ValueError``.
"""

from __future__ import annotations

__all__ = ["DesignError", "LonelyPSUError", "ConvergenceError"]


class DesignError(ValueError):
    """The data or the arguments do not describe a valid survey design or estimate."""


class LonelyPSUError(DesignError):
    """A stratum has a single PSU and no ``lonely_psu`` rule says how to treat it."""


class ConvergenceError(DesignError):
    """An iterative weighting step (raking, trimming) did not converge."""
