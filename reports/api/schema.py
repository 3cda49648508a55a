"""The report POST in the OpenAPI schema.

POST /api/v1/reports/ is a plain Django view (the intake's hot path, see
reports/api/views.py), which drf-spectacular does not discover; this
postprocessing hook describes it beside the DRF endpoints, so Swagger UI, Redoc
and Schemathesis see it like any other.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "retry_after": {"type": "integer", "description": "Only on 429 and 503"},
    },
    "required": ["detail", "errors"],
}

REQUEST = {
    "type": "object",
    "properties": {
        "service": {"type": "string", "minLength": 1, "description": "A service slug, see /api/v1/services/"},
        "problem": {"type": "string", "minLength": 1, "description": "One of the service's problem_types"},
        "region": {"type": "string", "minLength": 1, "description": "ISO 3166-1 alpha-2 code"},
        "subdivision": {
            "type": "string",
            "nullable": True,
            "maxLength": 6,
            "description": (
                "Optional; null, empty or left out for none. Where in the region: the ISO 3166-2 "
                "code of one of its first-level subdivisions (state, province, Land), such as "
                "'DE-BY' for Bavaria in region 'DE'. Chosen by the reporter; an unknown code, or "
                "one of another country, is a 400 listing the valid codes."
            ),
        },
        "comment": {
            "type": "string",
            "nullable": True,
            "maxLength": 280,
            "description": "Optional; null or left out for none. Plain text: no control characters.",
        },
    },
    "required": ["service", "problem", "region"],
    # Any other field is refused (a misspelt "regoin" must not be dropped silently).
    "additionalProperties": False,
}

ACCEPTED = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "The report's intake id"},
        "service": {"type": "string"},
        "problem": {"type": "string"},
        "region": {"type": "string"},
        "subdivision": {"type": "string", "description": "The ISO 3166-2 code, or empty"},
        "comment": {"type": "string"},
        "source": {"type": "string", "enum": ["api", "web"]},
        "created_at": {"type": "string", "format": "date-time"},
        "is_repeat": {
            "type": "boolean",
            "nullable": True,
            "description": "null while the report is on its way through the stream",
        },
        "stored": {
            "type": "boolean",
            "description": "true: committed to the database; false: durably queued on its way there",
        },
    },
}


def _error(description: str, detail: str, errors: dict | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": {"example": {"value": {"detail": detail, "errors": errors or {}}}},
            }
        },
    }


def describe_report_intake(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR)
    result["components"]["schemas"]["ReportRequest"] = REQUEST
    result["components"]["schemas"]["AcceptedReport"] = ACCEPTED
    example = {
        "service": "whatsapp",
        "problem": "pictures",
        "region": "IN",
        "subdivision": "IN-MH",
        "comment": "Photos stuck",
    }
    result.setdefault("paths", {})["/api/v1/reports/"] = {
        "post": {
            "operationId": "reports_create",
            "summary": "File a problem report",
            "description": "201 means the report is committed, or durably queued on its way there.",
            "tags": ["reports"],
            "security": [{}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ReportRequest"},
                        "examples": {"a report": {"value": example}},
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "Accepted",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/AcceptedReport"},
                            "examples": {
                                "accepted": {
                                    "value": {
                                        "id": "5b0e8f0e-6f3e-4c53-9b1a-2f4c1f0f7d61",
                                        **example,
                                        "source": "api",
                                        "created_at": "2026-03-05T17:43:10Z",
                                        "is_repeat": None,
                                        "stored": False,
                                    }
                                }
                            },
                        }
                    },
                },
                "400": _error(
                    "Invalid report",
                    "The report is not valid.",
                    {
                        "subdivision": [
                            "FR-IDF is a subdivision of France, not of Germany (DE). Choose one of: "
                            "DE-BW (Baden-Württemberg), DE-BY (Bayern), ..., or leave it out."
                        ]
                    },
                ),
                "405": _error("Only POST", 'Method "GET" not allowed: send the report with POST.'),
                "413": _error("Body too large", "The request body is too large."),
                "415": _error("Not JSON", 'Unsupported media type "text/plain": send application/json.'),
                "429": _error("Too many reports from this address", "Too many reports from your address."),
                "503": _error("Nothing can take a report right now", "Reports cannot be stored right now."),
            },
        }
    }
    return result
