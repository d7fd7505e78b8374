"""The API's request and response bodies as pydantic models.

These classes validate what clients send (``ResponseIn``) and shape what the API answers;
the OpenAPI document (``survey.api.spec``) is generated from them, so the description
cannot drift from the checks.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ResponseIn(BaseModel):
    """One questionnaire's answers, queued by a kiosk or sent with a one-time code."""

    model_config = ConfigDict(extra="forbid", strict=True)

    wave: Code = Field(description="Survey wave code.")
    point: Code = Field(description="Service point code.")
    field: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="Service field code, or null.")
    submission_id: Annotated[uuid.UUID, Field(strict=False)] = Field(
        description="Client-generated UUID: a retry with the same id is stored once.")
    started_at: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, json_schema_extra={"format": "date-time"},
        description="When answering began (ISO 8601; without an offset, UTC).")
    submitted_at: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, json_schema_extra={"format": "date-time"},
        description="When the kiosk queued the answers offline (ISO 8601); null: now.")
    answers: dict[str, Any] = Field(description="Answers by question id.")
    paradata: dict[str, Any] | None = Field(
        default=None, description='Seconds spent per page, {"pages": {page: seconds}} '
        "(whole seconds, 0 to 86400); durations only, never clock times.")


class StatusOut(BaseModel):
    """The submission was stored now (201) or had been stored before (200)."""

    status: Literal["created", "duplicate"]


class ErrorOut(BaseModel):
    """A refusal: a stable word and a message in the client's language."""

    error: str
    message: str


class Problem(BaseModel):
    """One problem with the answers."""

    question: str | None
    code: str
    message: str


class InvalidOut(BaseModel):
    """The answers break the questionnaire's rules (at most 50 problems listed)."""

    errors: list[Problem]
    total: int


class QuestionnaireOut(BaseModel):
    """The published questionnaire a wave asks (the definition language's canonical JSON)."""

    wave: str
    qid: str
    version: str
    title: str
    definition: dict[str, Any]


class Estimate(BaseModel):
    """One estimate of a result table; ``value`` is null when there is no data."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    label: str | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    n_eff: float | None = None
    status: str = "no_data"
    suppressed: bool = False


class UnitRow(Estimate):
    """A child unit's overall index and rank."""

    code: str
    name: str | None = None


class ResultsOut(BaseModel):
    """The result tables of a unit for a wave, as on its dashboard (no filters)."""

    unit: str
    wave: str
    has_data: bool
    n_responses: int
    overall: Estimate | None = None
    elements: list[Estimate] = []
    indicators: list[Estimate] = []
    children: list[UnitRow] = []
    modes: dict[str, int] = Field(default_factory=dict,
                                  description="Responses of the unit's subtree by collection mode.")


MODELS = (ResponseIn, StatusOut, ErrorOut, InvalidOut, QuestionnaireOut, ResultsOut)
