"""POST/GET /api/v1/simulate, sweep and presets against the engine's own numbers."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from http_helpers import strict_json

import model
from server.schemas import SimulateRequest

VOLATILE = ("elapsed_ms",)  # the only field that may differ between two identical runs


def engine(**params: Any) -> dict[str, Any]:
    """What the engine itself returns for `params`, through strict JSON like the server."""
    result = model.simulate(SimulateRequest(**params).to_config()).to_dict()
    return strict_json(httpx.Response(200, json=result).text)


def without(result: dict[str, Any], keys: tuple[str, ...] = VOLATILE) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in keys}


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    response = client.post(path, json=body)
    strict_json(response.text)
    return response


@pytest.mark.parametrize(("w_rec", "expected"), [(0.1, -4.0), (2.0, math.log10(16)), (1.0, 0.0)])
def test_articles_linear_five_steps(client: httpx.Client, w_rec: float, expected: float) -> None:
    # X1 reaches y5 multiplied by w_rec^4: 0.0001 for W2 = 0.1, 16 for W2 = 2.
    body = {"activation": "linear", "seq_len": 5, "w_rec": w_rec, "w_in": 1.0, "loss": "last"}
    response = post(client, "/api/v1/simulate", body)
    assert response.status_code == 200
    result = response.json()
    assert result["grad_log10"][0] == pytest.approx(expected, abs=1e-9)
    assert result["grad_log10"][-1] == pytest.approx(0.0, abs=1e-12)
    assert result["params"]["w_rec"] == w_rec
    assert result["params"]["seq_len"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"activation": "tanh", "seq_len": 20, "w_rec": 0.9},
        {"activation": "relu", "hidden_size": 4, "recurrent_init": "identity", "loss": "all"},
        {"activation": "linear", "seq_len": 2000, "w_rec": 10.0},
        {"activation": "sigmoid", "bidirectional": True, "hidden_size": 3, "seed": 7},
        {"inputs": [[1.0, 0.5], [0.0, -1.0], [2.0, 0.0]], "clip_norm": 0.5},
        {"activation": "relu", "bias": -5.0},
        {"cell": "lstm", "hidden_size": 3, "seq_len": 30, "forget_bias": 1.0, "loss": "all"},
        {"cell": "gru", "hidden_size": 2, "bidirectional": True, "input_pattern": "sine"},
        {"cell": "lstm", "w_in": 1000, "bias": 1000, "seq_len": 50, "clip_norm": 2.0},
    ],
)
def test_post_equals_the_engine(client: httpx.Client, params: dict[str, Any]) -> None:
    response = post(client, "/api/v1/simulate", params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert without(response.json()) == without(engine(**params))


def test_far_beyond_float_range_stays_finite_and_null(client: httpx.Client) -> None:
    # W2 = 10 over 2000 steps: hidden overflows float64 (null), exponents stay exact.
    body = {"activation": "linear", "seq_len": 2000, "w_rec": 10.0}
    result = post(client, "/api/v1/simulate", body).json()
    assert result["grad_log10"][0] - result["grad_log10"][-1] == pytest.approx(1999, abs=1e-9)
    assert result["hidden"][-1] == [None]
    assert result["grad_norm"][0] is None
    assert result["regime"] == "exploding"


def test_get_equals_post_and_parses_comma_separated_inputs(client: httpx.Client) -> None:
    query = "activation=linear&w_rec=0.5&inputs=1,%200,0.25,-1e1&bidirectional=true"
    got = client.get(f"/api/v1/simulate?{query}")
    assert got.status_code == 200
    body = {
        "activation": "linear",
        "w_rec": 0.5,
        "inputs": [1, 0, 0.25, -10],
        "bidirectional": True,
    }
    posted = post(client, "/api/v1/simulate", body)
    assert without(strict_json(got.text)) == without(posted.json())
    assert got.json()["inputs"] == [[1.0], [0.0], [0.25], [-10.0]]
    assert got.json()["params"]["seq_len"] == 4


def test_get_inputs_take_any_exponent_that_post_takes(client: httpx.Client) -> None:
    got = client.get("/api/v1/simulate?activation=linear&inputs=1e-300,1.5E100,-2e+3")
    assert got.status_code == 200, got.text
    assert got.json()["inputs"] == [[1e-300], [1.5e100], [-2000.0]]
    body = {"activation": "linear", "inputs": [1e-300, 1.5e100, -2e3]}
    assert without(got.json()) == without(post(client, "/api/v1/simulate", body).json())


def test_get_inputs_that_are_not_numbers_say_what_to_send(client: httpx.Client) -> None:
    got = client.get("/api/v1/simulate?inputs=1,x")
    assert got.status_code == 422
    (error,) = got.json()["detail"]
    assert error["loc"] == ["query", "inputs"]
    assert "comma-separated numbers" in error["msg"] and "\\d" not in error["msg"]


def test_get_etag_and_304(client: httpx.Client) -> None:
    url = "/api/v1/simulate?activation=linear&seq_len=5&w_rec=2"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 20
    assert first.headers["cache-control"] == "public, max-age=3600"
    # The same normalised parameters in another order or spelling: the same ETag.
    same = client.get("/api/v1/simulate?w_rec=2.0&seq_len=5&activation=linear&cell=rnn")
    assert same.headers["etag"] == etag
    other = client.get("/api/v1/simulate?activation=linear&seq_len=5&w_rec=2.5")
    assert other.headers["etag"] != etag
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        cached = client.get(url, headers={"If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
    stale = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.json()["grad_log10"][0] == pytest.approx(math.log10(16), abs=1e-9)


def test_etag_includes_the_engine_version(client: httpx.Client, monkeypatch) -> None:
    url = "/api/v1/simulate?seq_len=3"
    before = client.get(url).headers["etag"]
    monkeypatch.setattr(model, "__version__", model.__version__ + "-next")
    assert client.get(url).headers["etag"] != before


def test_sweep_rows_equal_single_runs(client: httpx.Client) -> None:
    values = [0.1, 0.5, 1.0, 2.0]
    body = {"activation": "tanh", "seq_len": 12, "w_rec_values": values}
    response = post(client, "/api/v1/sweep", body)
    assert response.status_code == 200
    sweep = response.json()
    assert sweep["w_rec_values"] == values
    assert len(sweep["grad_log10"]) == 4 and len(sweep["grad_log10"][0]) == 12
    for value, row, regime in zip(values, sweep["grad_log10"], sweep["regime"], strict=True):
        single = engine(activation="tanh", seq_len=12, w_rec=value)
        assert row == pytest.approx(single["grad_log10"], abs=1e-12)
        assert regime == single["regime"]


def test_sweep_evenly_spaced_by_default(client: httpx.Client) -> None:
    sweep = post(client, "/api/v1/sweep", {"seq_len": 5, "steps": 5, "w_rec_max": 2.0}).json()
    assert sweep["w_rec_values"] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0], abs=1e-15)
    default = post(client, "/api/v1/sweep", {"seq_len": 5}).json()
    assert len(default["w_rec_values"]) == 61
    assert default["w_rec_values"][0] == 0.0 and default["w_rec_values"][-1] == 3.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"w_rec_values": [1.0], "steps": 3}, "steps"),
        ({"w_rec_min": 2.0, "w_rec_max": 1.0}, "w_rec_min"),
        ({"steps": 402}, "steps"),
        ({"steps": 128068545824694}, "steps"),  # found by schemathesis: once hung the server
        ({"w_rec_values": [1.0] * 402}, "w_rec_values"),
        ({"w_rec_values": [1.0, 1e6]}, "w_rec_values"),
        ({"w_rec_values": []}, "w_rec_values"),
        ({"seq_len": 2000, "hidden_size": 64, "steps": 100}, "steps"),
    ],
)
def test_sweep_rejects_with_the_field_named(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = post(client, "/api/v1/sweep", body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", field]
    assert detail[0]["msg"]


def test_presets(client: httpx.Client) -> None:
    response = client.get("/api/v1/presets")
    assert response.status_code == 200
    presets = response.json()
    ids = [p["id"] for p in presets]
    assert len(ids) == len(set(ids)) >= 8
    for preset in presets:
        assert set(preset) == {"id", "title", "caption", "params"}
        caption = preset["caption"]
        # One sentence: ends with a full stop and has no other sentence end inside.
        assert caption.endswith(".") and ". " not in caption[:-1], caption
        SimulateRequest(**preset["params"])  # valid request fields
    by_id = {p["id"]: p["params"] for p in presets}
    # The articles' two worked examples are there with their exact parameters.
    assert by_id["vanishing-w2-0.1"] == {"activation": "linear", "seq_len": 5, "w_rec": 0.1}
    assert by_id["exploding-w2-2"] == {"activation": "linear", "seq_len": 5, "w_rec": 2.0}
    cells = {p["params"].get("cell", "rnn") for p in presets}
    assert {"rnn", "lstm", "gru"} <= cells
    assert any(p["params"].get("recurrent_init") == "identity" for p in presets)
    assert any("clip_norm" in p["params"] for p in presets)


def test_every_preset_runs_and_shows_what_its_caption_says(client: httpx.Client) -> None:
    results = {}
    for preset in client.get("/api/v1/presets").json():
        response = post(client, "/api/v1/simulate", preset["params"])
        assert response.status_code == 200, preset["id"]
        results[preset["id"]] = response.json()
    assert results["vanishing-w2-0.1"]["grad_log10"][0] == pytest.approx(-4, abs=1e-9)
    assert results["exploding-w2-2"]["grad_log10"][0] == pytest.approx(math.log10(16), abs=1e-9)
    assert results["vanishing-w2-0.1"]["regime"] == "vanishing"
    assert results["exploding-w2-2"]["regime"] == "exploding"
    assert results["relu"]["grad_log10"][0] == pytest.approx(0.0, abs=1e-12)
    assert results["irnn"]["regime"] == "stable"
    assert results["sigmoid"]["growth_per_step"] <= 0.25
    assert results["tanh-saturation"]["grad_log10"][0] < -10
    clip = results["clipping"]
    assert clip["param_grad_norm"] > 1e4
    assert clip["clipped_param_grad_norm"] == pytest.approx(1.0, rel=1e-5)
    # LSTM and GRU keep far more of the first step's gradient than the tanh RNN over 100 steps.
    rnn_first = results["rnn-long"]["grad_log10"][0]
    assert rnn_first < -3
    assert results["lstm-long"]["grad_log10"][0] > rnn_first + 2
    # The LSTM caption's figures: a factor of ~3 over 100 steps, 0.989 a step; the RNN's 70,000.
    lstm = results["lstm-long"]
    assert 10 ** (lstm["grad_log10"][-1] - lstm["grad_log10"][0]) == pytest.approx(3, abs=0.1)
    assert lstm["growth_per_step"] == pytest.approx(0.989, abs=5e-4)
    assert lstm["regime"] == "vanishing"
    rnn = results["rnn-long"]["grad_log10"]
    assert 10 ** (rnn[-1] - rnn[0]) == pytest.approx(70_000, rel=0.03)
    assert results["gru-long"]["grad_log10"][0] > rnn_first + 2
    both_ends = results["bidirectional"]["grad_log10"]
    assert both_ends[0] > -1 and both_ends[-1] > -1
    dogs = results["dogs-were-barking"]
    assert dogs["input_grad_log10"][1] < -2  # x2 ("dogs") hardly reaches the last step


def test_seq_len_sent_with_inputs_must_agree_with_them(client: httpx.Client) -> None:
    agreed = post(client, "/api/v1/simulate", {"inputs": [1, 0, 0], "seq_len": 3}).json()
    assert agreed["params"]["seq_len"] == 3
    # A result's params, sent back as a request, give the same result (seq_len agrees).
    params = {k: v for k, v in agreed["params"].items() if v is not None}
    again = post(client, "/api/v1/simulate", params).json()
    assert again["grad_log10"] == agreed["grad_log10"]
    clash = client.post("/api/v1/simulate", json={"inputs": [1, 0, 0], "seq_len": 10})
    assert clash.status_code == 422
    (error,) = clash.json()["detail"]
    assert error["loc"] == ["body", "seq_len"] and "inputs has 3 steps" in error["msg"]
