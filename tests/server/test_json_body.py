"""Server JSON bodies, written by orjson from the results' arrays: the values of to_dict()."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import model
from server.jsonio import dumps


def strict_loads(body: bytes) -> Any:
    def refuse(token: str) -> float:
        raise AssertionError(f"non-strict JSON token {token}")

    return json.loads(body, parse_constant=refuse)


def same_values(a: Any, b: Any) -> bool:
    """Equal, float for float bit for bit (-0.0 is not 0.0), None only where None."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex()
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


SIMULATIONS = [
    {"hidden_size": 32, "seq_len": 100, "activation": "tanh", "w_rec": 0.9, "seed": 7},
    # overflow: hidden states beyond float64 are null, and so is grad_norm past its range
    {"activation": "linear", "w_rec": 1000.0, "seq_len": 200, "hidden_size": 3, "bias": 1.0},
    # w_rec = 0: nothing reaches h_1, grad_log10 is -inf there (null), grad_norm exactly 0
    {"w_rec": 0.0, "seq_len": 6, "hidden_size": 2, "input_pattern": "sine"},
    {"cell": "lstm", "hidden_size": 3, "seq_len": 5, "bidirectional": True, "loss": "all"},
    {"cell": "gru", "hidden_size": 2, "seq_len": 4, "clip_norm": 0.5, "dtype": "float32"},
    {"activation": "relu", "recurrent_init": "identity", "hidden_size": 4, "seq_len": 9},
]


@pytest.mark.parametrize("params", SIMULATIONS, ids=lambda p: "-".join(map(str, p.values())))
def test_simulate_body_holds_to_dicts_values(params: dict[str, Any]) -> None:
    result = model.simulate(**params)
    body = strict_loads(dumps(result.json_fields()))
    assert same_values(body, result.to_dict())


def test_the_overflow_case_really_has_nulls() -> None:
    # guards the case above: without nulls it would not test the NaN/Infinity path at all
    body = strict_loads(dumps(model.simulate(**SIMULATIONS[1]).json_fields()))
    assert None in [value for row in body["hidden"] for value in row]
    assert body["grad_log10"][0] is not None and None in body["grad_norm"]


def test_sweep_body_holds_to_dicts_values() -> None:
    result = model.sweep(seq_len=30, hidden_size=4, w_rec_values=[0.0, 0.5, 2.0, 1000.0])
    body = strict_loads(dumps(result.json_fields()))
    assert same_values(body, result.to_dict())


def test_arrays_of_any_layout_and_non_finite_floats_become_strict_json() -> None:
    grid = np.arange(12.0).reshape(3, 4)
    payload = {
        "transposed": grid.T,  # not C-contiguous: copied, same values
        "strided": grid[:, ::2],
        "special": np.array([math.nan, math.inf, -math.inf, -0.0, 5e-324]),
        "plain": [math.nan, 1e308 * 10],
    }
    body = strict_loads(dumps(payload))
    assert body["transposed"] == grid.T.tolist()
    assert body["strided"] == grid[:, ::2].tolist()
    assert same_values(body["special"], [None, None, None, -0.0, 5e-324])
    assert body["plain"] == [None, None]


def test_ints_beyond_64_bits_are_written_exactly_beside_arrays() -> None:
    body = dumps({"id": -(10**30), "values": np.array([math.nan, 0.1]), "grid": np.eye(2).T})
    assert strict_loads(body) == {
        "id": -(10**30),
        "values": [None, 0.1],
        "grid": np.eye(2).tolist(),
    }


def test_what_json_cannot_hold_is_refused_not_guessed() -> None:
    for value in ({"value": object()}, {"id": 10**30, "value": object()}):
        with pytest.raises((TypeError, ValueError), match="not JSON serial"):
            dumps(value)
