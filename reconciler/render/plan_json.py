"""The plan as a JSON document (schemas/plan.schema.json): codes for tools, sentences for people."""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.plan import Plan
from reconciler.core.redact import redact_json
from reconciler.render import wording


def plan_document(plan: Plan) -> dict[str, Any]:
    """The versioned plan document, as `--json` prints it and `--out` saves it, secrets redacted."""
    return redact_json(plan.to_json(wording))


def render_plan_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2)
