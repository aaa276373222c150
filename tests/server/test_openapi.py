"""OpenAPI: an example per schema (and true ones), the server's limits, and the settings."""

from __future__ import annotations

import re

import httpx
import pytest
from http_helpers import strict_json

import model
from server import examples
from server.schemas import (
    ErrorDetail,
    GruGates,
    LstmGates,
    Preset,
    SimulateRequest,
    SimulateResponse,
    SweepRequest,
    SweepResponse,
)
from server.settings import Settings


def test_every_schema_of_ours_has_an_example(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    ours = {name: s for name, s in schemas.items() if "ValidationError" not in name}
    assert {"SimulateRequest", "SweepRequest", "SimulateResponse", "SweepResponse"} <= {
        name.split("-")[0] for name in ours
    }
    for name, schema in ours.items():
        assert schema.get("examples"), name
    paths = doc["paths"]
    assert set(paths) >= {"/api/v1/simulate", "/api/v1/sweep", "/api/v1/presets", "/healthz"}
    assert {"get", "post"} <= set(paths["/api/v1/simulate"])
    get_responses = paths["/api/v1/simulate"]["get"]["responses"]
    assert {"200", "304", "413", "422", "503"} <= set(get_responses)


@pytest.mark.parametrize(
    ("model_class", "example"),
    [
        (SimulateRequest, examples.SIMULATE_REQUEST),
        (SweepRequest, examples.SWEEP_REQUEST),
        (SimulateResponse, examples.SIMULATE_RESPONSE),
        (SweepResponse, examples.SWEEP_RESPONSE),
        (LstmGates, examples.LSTM_GATES),
        (GruGates, examples.GRU_GATES),
        (Preset, examples.PRESET),
        (ErrorDetail, examples.ERROR),
    ],
)
def test_examples_validate(model_class: type, example: dict) -> None:
    model_class.model_validate(example)  # type: ignore[attr-defined]


def test_result_examples_are_what_the_engine_answers(client: httpx.Client) -> None:
    # The documentation shows real numbers: the articles' neuron with W2 = 0.1 on three steps.
    params = {k: v for k, v in examples.PARAMS.items() if v is not None}
    answer = client.post("/api/v1/simulate", json=params).json()
    documented = dict(examples.SIMULATE_RESPONSE)
    for result in (answer, documented):
        result.pop("elapsed_ms")
    assert answer == documented
    request = client.post("/api/v1/simulate", json=examples.SIMULATE_REQUEST).json()
    assert request["grad_log10"] == documented["grad_log10"]  # the example request answers it
    body = {**params, "w_rec_values": [0.5, 1.0, 2.0]}
    sweep = client.post("/api/v1/sweep", json=body).json()
    documented_sweep = {k: v for k, v in examples.SWEEP_RESPONSE.items() if k != "elapsed_ms"}
    assert {k: v for k, v in sweep.items() if k != "elapsed_ms"} == documented_sweep
    assert examples.PRESET in client.get("/api/v1/presets").json()
    assert model.__version__  # ETags include it


def test_the_document_states_this_servers_limits(start_server) -> None:
    live = start_server(max_seq_len=50, max_hidden_size=8, max_abs_weight=5.0, max_sweep_steps=9)
    doc = strict_json(httpx.get(f"{live.url}/openapi.json", timeout=30).text)
    request = doc["components"]["schemas"]["SimulateRequest"]["properties"]
    assert request["seq_len"]["maximum"] == 50
    assert request["hidden_size"]["maximum"] == 8
    assert (request["w_rec"]["minimum"], request["w_rec"]["maximum"]) == (-5.0, 5.0)
    forms = [form for v in request["inputs"]["anyOf"] for form in v.get("oneOf", [v])]
    array_variants = [v for v in forms if v.get("type") == "array"]
    assert [v["maxItems"] for v in array_variants] == [50, 50]
    sweep = doc["components"]["schemas"]["SweepRequest"]["properties"]
    assert sweep["steps"]["maximum"] == 9
    query = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/simulate"]["get"]["parameters"]}
    assert query["seq_len"]["maximum"] == 50
    pattern = next(v["pattern"] for v in query["inputs"]["anyOf"] if v.get("type") == "string")
    assert re.fullmatch(pattern, ",".join(["1"] * 50))
    assert not re.fullmatch(pattern, ",".join(["1"] * 51))
    assert not re.fullmatch(pattern, "1,nan")
    assert "seq_len x hidden_size x directions" in doc["info"]["description"]
    # JSON Schema's own keywords, integers for the integer seed (not pydantic's gt or 2.0**63)
    positive = [v for v in request["clip_norm"]["anyOf"] if v.get("type") == "number"]
    assert positive == [{"type": "number", "exclusiveMinimum": 0}]
    for seed in (request["seed"], query["seed"]):
        assert (seed["minimum"], seed["maximum"]) == (0, 2**63 - 1)
        assert isinstance(seed["maximum"], int) and isinstance(seed["minimum"], int)
    assert '"gt"' not in httpx.get(f"{live.url}/openapi.json", timeout=30).text


def test_docs_page_is_our_own_and_needs_no_internet(client: httpx.Client, live_server) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'href="{live_server.url}/openapi.json"' in page
    doc = client.get("/openapi.json").json()
    for path, methods in doc["paths"].items():
        for method in methods:
            assert f"<code>{method.upper()} {path}</code>" in page, (method, path)
    assert "<code>/api/v1/stream</code>" in page
    for schema in ("SimulateRequest", "SweepRequest"):
        for name in doc["components"]["schemas"][schema]["properties"]:
            assert f"<code>{name}</code>" in page, name
    # Limits and examples come from the document: the settings' maxima, the engine's example.
    assert "&lt;= 2000" in page and "&lt;= 512" in page
    assert "curl -X POST" in page and "httpx.post(" in page and "import httpx" in page
    # No script at all (the CSP forbids inline ones) and nothing fetched from elsewhere.
    assert "<script" not in page
    assert "script-src 'self'" in response.headers["content-security-policy"]
    own = live_server.url
    for url in re.findall(r"(?:https?|wss?)://[^\s\"'<>]+", page):
        assert url.startswith((own, live_server.ws_url)), url
    for gone in ("/redoc", "/docs/oauth2-redirect"):
        assert client.get(gone).status_code == 404


def test_settings_come_from_rnngf_environment(monkeypatch) -> None:
    monkeypatch.setenv("RNNGF_MAX_SEQ_LEN", "100")
    monkeypatch.setenv("RNNGF_WORKERS", "3")
    monkeypatch.setenv("RNNGF_CORS_ORIGINS", '["https://course.example"]')
    monkeypatch.setenv("RNNGF_EMBED_FRAME_ANCESTORS", "https://lms.example")
    settings = Settings()
    assert settings.max_seq_len == 100 and settings.limits().max_seq_len == 100
    assert settings.workers == 3
    assert settings.cors_origins == ["https://course.example"]
    assert settings.embed_frame_ancestors == "https://lms.example"
    defaults = Settings.model_fields
    assert defaults["max_body_bytes"].default == 1_000_000
    assert defaults["cors_origins"].default == ["*"]
    assert defaults["page_frame_ancestors"].default == "'self'"
