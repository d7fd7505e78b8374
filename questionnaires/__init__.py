"""The questionnaire definition language: model, loader, validation, expressions, answers.

Imports no Flask and no database code, so it can be used from notebooks and scripts.
"""

from .answers import AnswerCheck, AnswerError, check_answers
from .expressions import Expression, ExpressionError, parse_expression
from .loader import DefinitionError, Problem, bundled_names, load_bundled, load_definition
from .model import (
    AnalysisElement,
    AnalysisSpec,
    Choice,
    Criterion,
    Element,
    Indicator,
    Question,
    Questionnaire,
)

__all__ = [
    "AnalysisElement",
    "AnalysisSpec",
    "AnswerCheck",
    "AnswerError",
    "Choice",
    "Criterion",
    "DefinitionError",
    "Element",
    "Expression",
    "ExpressionError",
    "Indicator",
    "Problem",
    "Question",
    "Questionnaire",
    "bundled_names",
    "check_answers",
    "load_bundled",
    "load_definition",
    "parse_expression",
]
