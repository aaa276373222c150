"""OpenAPI document with this server's limits written into the request schemas."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from model.config import SEED_MAX
from server.schemas import INPUTS_QUERY_PATTERN
from server.settings import Settings

WORK_NOTE = (
    " Limits: seq_len x hidden_size x directions <= {max_work};"
    " sweep values x seq_len x hidden_size x directions <= {max_sweep_work}."
)


def _bounds(settings: Settings) -> dict[str, dict[str, Any]]:
    """JSON-schema keywords per field name, from the settings (the same the server enforces)."""
    weight = {"minimum": -settings.max_abs_weight, "maximum": settings.max_abs_weight}
    return {
        "seq_len": {"maximum": settings.max_seq_len},
        "hidden_size": {"maximum": settings.max_hidden_size},
        "steps": {"maximum": settings.max_sweep_steps},
        **{name: weight for name in ("w_rec", "w_in", "bias", "forget_bias")},
        **{name: weight for name in ("w_rec_min", "w_rec_max")},
        # FastAPI's document writes the body's bound as the float 2**63, one past the largest seed
        "seed": {"minimum": 0, "maximum": SEED_MAX},
    }


def _limit_schema(name: str, schema: dict[str, Any], settings: Settings) -> None:
    schema.update(_bounds(settings).get(name, {}))
    if name == "w_rec_values":
        for variant in schema.get("anyOf", [schema]):
            if variant.get("type") == "array":
                variant["maxItems"] = settings.max_sweep_steps
                variant["items"].update(_bounds(settings)["w_rec"])
    if name == "inputs":
        # The body's two forms sit in a oneOf (a discriminated union) inside the Optional's anyOf.
        forms = [form for v in schema.get("anyOf", [schema]) for form in v.get("oneOf", [v])]
        for variant in forms:
            if variant.get("type") == "array":
                variant["maxItems"] = settings.max_seq_len
                inner = variant["items"]
                if inner.get("type") == "array":
                    inner.update(minItems=1, maxItems=settings.max_input_size)
            elif variant.get("type") == "string":
                # Same pattern as the model, with the step count bounded by max_seq_len.
                bounded = f"{{0,{settings.max_seq_len - 1}}}$"
                variant["pattern"] = INPUTS_QUERY_PATTERN.replace(")*$", ")" + bounded)


def limited_openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's document, with maxima and minima the server's settings enforce."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description + WORK_NOTE.format(**settings.model_dump()),
        routes=app.routes,
    )
    for schema in doc.get("components", {}).get("schemas", {}).values():
        for name, prop in schema.get("properties", {}).items():
            _limit_schema(name, prop, settings)
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            for param in operation.get("parameters", []):
                _limit_schema(param["name"], param.get("schema", {}), settings)
    return doc


def install_openapi(app: FastAPI, settings: Settings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = limited_openapi(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
