"""The OpenAPI 3.1 document of ``/api/v1``, generated from the routes and the schemas.

Each view declares itself with :func:`operation` (method, path, summary, request model,
responses by status, security); :func:`openapi_document` assembles those declarations with
the JSON Schemas pydantic generates from ``survey.api.schemas`` — the same classes that
validate the requests.  Nothing of the document is written by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas

REF = "#/components/schemas/{model}"
SECURITY_SCHEMES = {
    "device": {"type": "apiKey", "in": "header", "name": "Authorization",
               "description": "`Device <token>`: the credential of an enrolled kiosk tablet."},
    "code": {"type": "apiKey", "in": "header", "name": "Authorization",
             "description": "`Code <code>`: a one-time invitation code from a receipt slip."},
    "token": {"type": "http", "scheme": "bearer",
              "description": "A personal API token of an official (`sipas_…`)."},
}
DESCRIPTIONS = {200: "OK", 201: "Created", 400: "Malformed request", 401: "No valid credential",
                403: "Credential not valid for this request", 404: "Not found",
                409: "Submission id already used for other answers", 410: "Survey ended",
                413: "Body too large", 422: "Invalid answers", 429: "Too many requests",
                503: "Busy, retry later"}


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    operation_id: str
    body: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    security: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    content_type: str = "application/json"


OPERATIONS: list[Operation] = []


def operation(method: str, path: str, summary: str, *, body=None, responses=None,
              security=(), content_type="application/json"):
    """Declare a view in the OpenAPI document (``path`` in OpenAPI form, under /api/v1)."""
    def register(view):
        params = tuple(part[1:-1] for part in path.split("/") if part.startswith("{"))
        OPERATIONS.append(Operation(method.lower(), path, summary, view.__name__, body,
                                    dict(responses or {}), tuple(security), params,
                                    content_type))
        return view
    return register


def _content(model: type[BaseModel] | None, content_type: str) -> dict:
    if model is None:
        return {content_type: {"schema": {"type": "object"}}} if content_type == "application/json" \
            else {content_type: {"schema": {"type": "string"}}}
    return {content_type: {"schema": {"$ref": REF.format(model=model.__name__)}}}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """Return the OpenAPI document of every declared operation (built once)."""
    _, defs = models_json_schema([(m, "validation") for m in schemas.MODELS],
                                 ref_template=REF)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        entry = {"operationId": op.operation_id, "summary": op.summary, "responses": {}}
        if op.parameters:
            entry["parameters"] = [{"name": p, "in": "path", "required": True,
                                    "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
                                   for p in op.parameters]
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": _content(op.body, "application/json")}
        for status, model in sorted(op.responses.items()):
            content_type = op.content_type if status < 300 else "application/json"
            entry["responses"][str(status)] = {"description": DESCRIPTIONS.get(status, ""),
                                               "content": _content(model, content_type)}
        entry["security"] = [{name: []} for name in op.security] if op.security else []
        paths.setdefault("/api/v1" + op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "SIPAS platform API", "version": "1",
                 "description": "Submit questionnaire responses (kiosk tablets, one-time "
                                "codes) and read result tables (personal tokens). Messages "
                                "follow Accept-Language (vi, en)."},
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES},
    }
