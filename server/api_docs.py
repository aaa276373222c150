"""Turns the OpenAPI document into what templates/docs.html shows: routes, fields, examples."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
SHOWN_ITEMS = 3  # example lists longer than this are cut, with a note of how many were left out
LIMIT_KEYS = (
    ("minimum", ">= {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "<= {}"),
    ("exclusiveMaximum", "< {}"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("maxLength", "at most {} characters"),
    ("pattern", "matches {}"),
)


@dataclass
class Field:
    """One request field or query parameter, as a table row."""

    name: str
    type: str
    default: str
    limits: str
    description: str
    required: bool = False


@dataclass
class Operation:
    """One HTTP route: what it takes, an example of each way in, and what comes back."""

    method: str
    path: str
    anchor: str
    summary: str
    description: str
    fields: list[Field] = field(default_factory=list)
    fields_in: str = ""  # "query" or "body"
    example_request: str = ""
    example_response: str = ""
    responses: list[tuple[str, str]] = field(default_factory=list)
    curl: str = ""
    python: str = ""


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return json.dumps(value)


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    resolved: dict[str, Any] = doc.get("components", {}).get("schemas", {}).get(name, {})
    return resolved


def _type(doc: dict[str, Any], schema: dict[str, Any]) -> str:
    """A short reading of a JSON-schema type: 'rnn | lstm | gru', 'list[number]', ..."""
    schema = _resolve(doc, schema)
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type(doc, variant) for variant in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{_type(doc, schema.get('items', {}))}]"
    return str(kind)


def _limits(schema: dict[str, Any]) -> str:
    parts: list[str] = []
    for variant in [schema, *schema.get("anyOf", [])]:
        for key, text in LIMIT_KEYS:
            if key in variant:
                parts.append(text.format(_number(variant[key])))
        items = variant.get("items")
        if isinstance(items, dict):
            inner = _limits(items)
            if inner:
                parts.append(f"each: {inner}")
    return "; ".join(dict.fromkeys(parts))  # in order, without repeats


def _field(doc: dict[str, Any], name: str, schema: dict[str, Any], required: bool) -> Field:
    schema = _resolve(doc, schema)
    default = (
        _number(schema["default"]) if "default" in schema else ("required" if required else "none")
    )
    return Field(
        name=name,
        type=_type(doc, schema),
        default=default,
        limits=_limits(schema),
        description=str(schema.get("description", "")),
        required=required,
    )


def abbreviate(value: Any) -> Any:
    """Example JSON with long lists cut to their first few entries and a count of the rest."""
    if isinstance(value, dict):
        return {key: abbreviate(item) for key, item in value.items()}
    if isinstance(value, list):
        shown = [abbreviate(item) for item in value[:SHOWN_ITEMS]]
        if len(value) > SHOWN_ITEMS:
            shown.append(f"... {len(value) - SHOWN_ITEMS} more")
        return shown
    return value


def _pretty(value: Any, indent: str = "") -> str:
    """Indented JSON with lists of numbers kept on one line, as people write them."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = (f"{inner}{json.dumps(k)}: {_pretty(v, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        items = (inner + _pretty(item, inner) for item in value)
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False)


def _example(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    if schema.get("type") == "array" and "items" in schema:
        item = _example(doc, schema["items"])
        return None if item is None else [item]
    examples = _resolve(doc, schema).get("examples")
    return examples[0] if examples else None


def _json_content(holder: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = holder.get("content", {}).get("application/json", {})
    return content


def _operation(
    doc: dict[str, Any], method: str, path: str, spec: dict[str, Any], base: str
) -> Operation:
    op = Operation(
        method=method.upper(),
        path=path,
        anchor=f"{method}-{path.strip('/').replace('/', '-')}",
        summary=str(spec.get("summary", "")),
        description=str(spec.get("description", "")),
    )
    url = base.rstrip("/") + path
    params = spec.get("parameters", [])
    if params:
        op.fields_in = "query"
        op.fields = [
            _field(
                doc,
                p["name"],
                {**p.get("schema", {}), "description": p.get("description", "")},
                p.get("required", False),
            )
            for p in params
        ]
    body = _json_content(spec.get("requestBody", {}))
    example = None
    if body:
        schema = _resolve(doc, body.get("schema", {}))
        required = set(schema.get("required", []))
        op.fields_in = "body"
        op.fields = [
            _field(doc, name, prop, name in required)
            for name, prop in schema.get("properties", {}).items()
        ]
        example = _example(doc, schema)
        if example is not None:
            op.example_request = _pretty(example)
            data = json.dumps(example)
            op.curl = (
                f"curl -X {op.method} {shlex.quote(url)} \\\n"
                f"  -H 'Content-Type: application/json' \\\n  -d {shlex.quote(data)}"
            )
            op.python = _python(method, url, "json", example)
    elif params:
        example = _query_example(doc, path)
        query = urlencode(example)
        op.example_request = f"{op.method} {path}?{query}" if query else f"{op.method} {path}"
        op.curl = f"curl {shlex.quote(url + ('?' + query if query else ''))}"
        op.python = _python(method, url, "params", example)
    else:
        op.example_request = f"{op.method} {path}"
        op.curl = f"curl {shlex.quote(url)}"
        op.python = _python(method, url, None, None)
    for status, response in spec.get("responses", {}).items():
        op.responses.append((status, str(response.get("description", ""))))
    ok = _json_content(spec.get("responses", {}).get("200", {}))
    answer = _example(doc, ok.get("schema", {})) if ok else None
    if answer is not None:
        op.example_response = _pretty(abbreviate(answer))
    return op


def _python(method: str, url: str, keyword: str | None, value: Any) -> str:
    """A snippet with httpx (requests reads the same: requests.post(url, json=...))."""
    argument = f",\n    {keyword}={value!r}" if keyword else ""
    return (
        f"import httpx\n\nresponse = httpx.{method}(\n    {url!r}{argument},\n)\n"
        "response.raise_for_status()\nresult = response.json()"
    )


def _query_example(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """The POST example of the same path, as query parameters (lists comma-separated)."""
    post = doc.get("paths", {}).get(path, {}).get("post", {})
    schema = _json_content(post.get("requestBody", {})).get("schema", {})
    example = _example(doc, schema) or {}
    return {
        key: ",".join(map(str, value))
        if isinstance(value, list)
        else json.dumps(value)
        if isinstance(value, bool)
        else value
        for key, value in example.items()
    }


def operations(doc: dict[str, Any], base: str) -> list[Operation]:
    """Every documented route, in the document's order (GET before POST on one path)."""
    found = []
    for path, methods in doc.get("paths", {}).items():
        for method in sorted(
            methods, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 9
        ):
            found.append(_operation(doc, method, path, methods[method], base))
    return found
