"""Bad input of every kind gets a 4xx with a message, never a 5xx, and the server keeps serving."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import torch
from http_helpers import raw_request, strict_json

JSON = {"content-type": "application/json"}

# (raw body, expected status, field the error must name or None)
BAD_BODIES: list[tuple[bytes, int, str | None]] = [
    (b'{"w_rec": NaN}', 422, "w_rec"),
    (b'{"w_rec": Infinity}', 422, "w_rec"),
    (b'{"w_in": -Infinity}', 422, "w_in"),
    (b'{"inputs": [1, NaN, 2]}', 422, "inputs"),
    (b'{"inputs": [[1, 2], [3, Infinity]]}', 422, "inputs"),
    (b'{"cell": NaN}', 422, "cell"),
    (b'{"w_recc": NaN}', 422, "w_recc"),
    (b'{"seed": 1e400}', 422, "seed"),
    (b'{"clip_norm": NaN}', 422, "clip_norm"),
    (b'{"w_rec": ', 422, None),
    (b"not json at all", 422, None),
    (b'{"w_rec": 1}{"w_rec": 2}', 422, None),
    (b"[1, 2]", 422, None),
    (b'"rnn"', 422, None),
    (b"null", 422, None),
    (b"", 422, None),
    (b'{"seed": ' + b"9" * 5000 + b"}", 400, None),
    (b"[" * 200_000 + b"]" * 200_000, 400, None),
    (b"\xff\xfe{", 400, None),
    (b'{"w_rec": true}', 422, "w_rec"),
    (b'{"inputs": [1, false]}', 422, "inputs"),
    # unpaired surrogates: valid JSON escapes that UTF-8 cannot carry back in the echo
    (b'{"cell": "\\ud800"}', 422, "cell"),
    (b'{"inputs": [1, "\\udc00"]}', 422, "inputs"),
    (b'{"w_rec\\ud800": 1}', 422, None),
    (b'{"seed": {"\\ud800": 1}}', 422, "seed"),
]

BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"w_recc": 1.0}, "w_recc"),
    ({"hidden_size": "many"}, "hidden_size"),
    ({"hidden_size": 1.5}, "hidden_size"),
    ({"hidden_size": "2"}, "hidden_size"),
    ({"seq_len": 5.0}, "seq_len"),
    ({"w_rec": "0.5"}, "w_rec"),
    ({"bidirectional": 0}, "bidirectional"),
    ({"bidirectional": "true"}, "bidirectional"),
    ({"hidden_size": 0}, "hidden_size"),
    ({"hidden_size": 513}, "hidden_size"),
    ({"hidden_size": 10**30}, "hidden_size"),
    ({"seq_len": 0}, "seq_len"),
    ({"seq_len": 2001}, "seq_len"),
    ({"seq_len": 1000, "hidden_size": 512}, "hidden_size"),
    ({"seq_len": 1000, "hidden_size": 200, "bidirectional": True}, "hidden_size"),
    ({"bidirectional": "perhaps"}, "bidirectional"),
    ({"w_rec": "strong"}, "w_rec"),
    ({"w_rec": 1000.5}, "w_rec"),
    ({"bias": -1e6}, "bias"),
    ({"forget_bias": 1e300}, "forget_bias"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**63}, "seed"),
    ({"clip_norm": 0}, "clip_norm"),
    ({"clip_norm": -1}, "clip_norm"),
    ({"cell": "transformer"}, "cell"),
    ({"activation": "gelu"}, "activation"),
    ({"recurrent_init": "xavier"}, "recurrent_init"),
    ({"input_pattern": "noise"}, "input_pattern"),
    ({"loss": "first"}, "loss"),
    ({"device": "tpu"}, "device"),
    ({"dtype": "float16"}, "dtype"),
    ({"inputs": "1,2,3"}, "inputs"),
    ({"inputs": []}, "inputs"),
    ({"inputs": [[]]}, "inputs"),
    ({"inputs": [[1, 2], [3]]}, "inputs"),
    ({"inputs": [1, [2]]}, "inputs"),
    ({"inputs": [0.0] * 2001}, "inputs"),
    ({"inputs": [[0.0] * 65]}, "inputs"),
    ({"inputs": [True, False]}, "inputs"),
    ({"inputs": [1.0, 1e39], "dtype": "float32"}, "inputs"),
    ({"inputs": [1, 0, 0], "seq_len": 10}, "seq_len"),  # sent along, it must agree
]

BAD_QUERIES: list[tuple[str, str]] = [
    ("w_rec=nan", "w_rec"),
    ("w_rec=inf", "w_rec"),
    ("w_rec=-Infinity", "w_rec"),
    ("seq_len=abc", "seq_len"),
    ("seq_len=99999", "seq_len"),
    ("inputs=1,,2", "inputs"),
    ("inputs=1,nan", "inputs"),
    ("inputs=1e999", "inputs"),
    ("inputs=", "inputs"),
    ("inputs=1%200%200", "inputs"),  # spaces separate nothing: not the number 100
    ("inputs=1+2,3", "inputs"),
    ("inputs=1,0,0&seq_len=5", "seq_len"),
    ("cell=transformer", "cell"),
    ("w_recc=1", "w_recc"),
    ("hidden_size=512&seq_len=2000", "hidden_size"),
]


def assert_helpful_4xx(response: httpx.Response, status: int, field: str | None) -> None:
    assert response.status_code == status, response.text
    body = strict_json(response.text)
    detail = body["detail"]
    if isinstance(detail, str):
        assert len(detail) > 10
        return
    assert detail and all(item["msg"] for item in detail)
    if field is not None:
        assert any(field in item["loc"] for item in detail), detail


@pytest.mark.parametrize(("raw", "status", "field"), BAD_BODIES, ids=lambda v: repr(v)[:40])
def test_bad_body(client: httpx.Client, raw: bytes, status: int, field: str | None) -> None:
    response = client.post("/api/v1/simulate", content=raw, headers=JSON)
    assert_helpful_4xx(response, status, field)


@pytest.mark.parametrize(("body", "field"), BAD_FIELDS, ids=lambda v: repr(v)[:40])
def test_bad_field(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert_helpful_4xx(client.post("/api/v1/simulate", json=body), 422, field)
    sweep = {**body, "steps": 2}
    assert_helpful_4xx(client.post("/api/v1/sweep", json=sweep), 422, field)


def test_too_much_sweep_work_names_the_field_the_values_came_from(client: httpx.Client) -> None:
    big = {"seq_len": 2000, "hidden_size": 8}
    spaced = client.post("/api/v1/sweep", json={**big, "steps": 401})
    assert_helpful_4xx(spaced, 422, "steps")
    listed = client.post("/api/v1/sweep", json={**big, "w_rec_values": [1.0] * 401})
    assert_helpful_4xx(listed, 422, "w_rec_values")
    assert "exceeds the limit" in listed.json()["detail"][0]["msg"]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_bad_query(client: httpx.Client, query: str, field: str) -> None:
    response = client.get(f"/api/v1/simulate?{query}")
    assert_helpful_4xx(response, 422, field)
    assert response.json()["detail"][0]["loc"][0] == "query"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this server has a GPU")
def test_cuda_without_a_gpu_says_what_to_use(client: httpx.Client) -> None:
    response = client.post("/api/v1/simulate", json={"device": "cuda"})
    assert_helpful_4xx(response, 422, "device")
    assert "auto" in response.json()["detail"][0]["msg"]


def test_wrong_content_type_and_method(client: httpx.Client) -> None:
    text = client.post(
        "/api/v1/simulate", content=b'{"w_rec": 1}', headers={"content-type": "text/plain"}
    )
    assert 400 <= text.status_code < 500
    strict_json(text.text)
    put = client.put("/api/v1/simulate", json={})
    # Allow names what does work (FastAPI's GET routes take no HEAD; the static files do)
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"
    assert client.head("/api/v1/simulate").headers["allow"] == "GET, POST"
    assert client.get("/api/v1/sweep").headers["allow"] == "POST"
    assert client.post("/api/v1/presets").headers["allow"] == "GET"
    static = client.put("/static/js/main.js")
    assert static.status_code == 405 and static.headers["allow"] == "GET, HEAD"
    assert client.get("/api/v1/nothing-here").status_code == 404


@pytest.mark.parametrize(
    ("content_type", "raw", "words"),
    [
        ("text/plain", b'{"w_rec": 1}', "Content-Type: application/json"),
        (None, b'{"w_rec": 1}', "Content-Type: application/json"),
        ("application/json", b"[1]", "JSON object of request fields"),
        ("application/json", b"", "JSON object of request fields"),
        ("application/json", b'{"w_rec": 1', "not valid JSON at character 11"),
    ],
)
def test_a_body_that_is_not_a_json_object_says_what_to_send(
    client: httpx.Client, content_type: str | None, raw: bytes, words: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/api/v1/simulate", "/api/v1/sweep"):
        response = client.post(path, content=raw, headers=headers)
        assert response.status_code == 422
        (error,) = strict_json(response.text)["detail"]
        assert error["loc"][0] == "body" and words in error["msg"], error
        assert "valid dictionary" not in error["msg"] and error.get("input") != {}


def test_a_row_whose_first_input_is_wrong_gets_one_error_not_two(client: httpx.Client) -> None:
    response = client.post("/api/v1/simulate", json={"inputs": [[[1]], [2]]})
    (error,) = response.json()["detail"]  # not also "Tuple should have at least 1 item"
    assert error["loc"] == ["body", "inputs", "rows", 0, 0] and error["type"] == "float_type"
    too_short = client.post("/api/v1/simulate", json={"inputs": [[]]}).json()["detail"]
    assert [e["type"] for e in too_short] == ["too_short"]  # a truly empty row still says so


def test_echoed_input_is_short_and_strict(client: httpx.Client) -> None:
    # A megabyte-sized wrong value is not echoed back in full.
    big = {"inputs": "x" * 500_000}
    response = client.post("/api/v1/simulate", json=big)
    assert response.status_code == 422
    assert len(response.content) < 2_000


def test_no_response_ever_contains_nan_or_infinity(client: httpx.Client) -> None:
    # The engine's overflow cases: the numbers become null, the JSON stays strict.
    cases = [
        {"activation": "linear", "w_rec": 1000, "seq_len": 400, "w_in": 1000},
        {"activation": "linear", "inputs": [1e308, 1e308, -1e308], "w_in": 1000},
        {"activation": "tanh", "w_in": 1000, "bias": -1000, "seq_len": 50},
        {"activation": "relu", "bias": -5, "clip_norm": 1},
        {"activation": "sigmoid", "w_rec": 0.001, "seq_len": 2000, "loss": "all"},
    ]
    for body in cases:
        response = client.post("/api/v1/simulate", json=body)
        assert response.status_code == 200, body
        assert b"NaN" not in response.content and b"Infinity" not in response.content
        strict_json(response.text)


def test_server_serves_normally_afterwards(client: httpx.Client, live_server) -> None:
    for raw, _, _ in BAD_BODIES[:10]:
        client.post("/api/v1/simulate", content=raw, headers=JSON)
    status, _, body = raw_request(live_server.port, "GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    response = client.post(
        "/api/v1/simulate", json={"activation": "linear", "seq_len": 5, "w_rec": 0.1}
    )
    assert response.status_code == 200
    assert response.json()["grad_log10"][0] == pytest.approx(-4, abs=1e-9)


@pytest.mark.parametrize(
    ("inputs", "loc"),
    [
        ([1, "a"], ["body", "inputs", "numbers", 1]),
        ([1, [2]], ["body", "inputs", "numbers", 1]),
        ([[1], [2, "x"]], ["body", "inputs", "rows", 1, 1]),
    ],
)
def test_a_bad_input_entry_gets_one_error_at_its_place(
    client: httpx.Client, inputs: list, loc: list
) -> None:
    # The form the first entry picks is the one checked: no error per union branch, and no
    # pydantic type signature in the location.
    response = client.post("/api/v1/simulate", json={"inputs": inputs})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == loc
    assert error["msg"] == "Input should be a valid number"
