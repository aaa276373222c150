"""The Python API takes what a notebook has at hand (numpy numbers and arrays, a dict of fields)
and refuses a value of the wrong kind with a ConfigError that names the field."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

import model
from model import ConfigError

SMALL: dict[str, Any] = {"activation": "linear", "seq_len": 5, "w_rec": 0.5}


@pytest.mark.parametrize(
    "change",
    [
        {"w_rec": np.float32(0.5)},
        {"seq_len": np.int64(5)},
        {"hidden_size": np.int32(2)},
        {"seed": np.uint8(3)},
        {"bidirectional": np.bool_(True)},
        {"clip_norm": np.float64(1.0), "w_in": np.int16(2)},
    ],
    ids=lambda change: ",".join(f"{k}={type(v).__name__}" for k, v in change.items()),
)
def test_numpy_numbers_are_taken_as_plain_ones(change: dict[str, Any]) -> None:
    result = model.simulate(**{**SMALL, **change})
    text = json.dumps(result.to_dict(), allow_nan=False)  # it used to fail on numpy types
    params = json.loads(text)["params"]
    kinds = {"bidirectional": bool, "hidden_size": int, "seq_len": int, "seed": int}
    for name, value in change.items():
        assert params[name] == value.item()
        assert type(result.params[name]) is kinds.get(name, float)
    plain = model.simulate(**{**SMALL, **{k: v.item() for k, v in change.items()}})
    assert result.grad_log10.tolist() == plain.grad_log10.tolist()
    sweep = model.sweep(w_rec_values=[0.5, 1.0], **{**SMALL, **change})
    json.dumps(sweep.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hidden_size": 2.5}, "hidden_size"),
        ({"hidden_size": "4"}, "hidden_size"),
        ({"hidden_size": True}, "hidden_size"),
        ({"seq_len": 10.0}, "seq_len"),
        ({"seed": 1.5}, "seed"),
        ({"w_rec": "0.5"}, "w_rec"),
        ({"w_rec": None}, "w_rec"),
        ({"w_rec": True}, "w_rec"),
        ({"w_rec": torch.tensor(0.5)}, "w_rec"),
        ({"clip_norm": "1"}, "clip_norm"),
        ({"bidirectional": "false"}, "bidirectional"),
        ({"bidirectional": 1}, "bidirectional"),
        ({"inputs": ["1", "0"]}, "inputs"),
        ({"inputs": [1, 0, 0], "seq_len": 10}, "seq_len"),
        ({"w_rec_min": 0.0}, "w_rec_min"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_a_value_of_the_wrong_kind_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        model.simulate(**{**SMALL, **change})
    assert info.value.field == field


def test_messages_say_what_to_give_instead() -> None:
    with pytest.raises(ConfigError, match="inputs must be numbers"):
        model.simulate(inputs=["1", "0"])  # not "mix of numbers and lists": there are none
    with pytest.raises(ConfigError, match="w_rec_values"):
        model.sweep(w_rec_min=0.0, w_rec_max=3.0, steps=61)
    with pytest.raises(ConfigError, match="inputs has 3 steps"):
        model.simulate(inputs=[1, 0, 0], seq_len=10)
    with pytest.raises(TypeError, match="SimConfig or a dict"):
        model.simulate(7)  # type: ignore[arg-type]


def test_numpy_inputs_and_a_dict_of_fields_are_taken() -> None:
    listed = model.simulate(inputs=[1.0, 0.0, 0.5], activation="linear", w_rec=0.5)
    as_arrays = [
        np.array([1.0, 0.0, 0.5]),
        np.array([[1.0], [0.0], [0.5]]),
        [np.float32(1.0), np.int64(0), 0.5],
        torch.tensor([1.0, 0.0, 0.5], dtype=torch.float64),
    ]
    for inputs in as_arrays:
        got = model.simulate(inputs=inputs, activation="linear", w_rec=0.5)
        assert got.grad_log10.tolist() == listed.grad_log10.tolist()
        assert got.params["inputs"] == [[1.0], [0.0], [0.5]]
    # A seq_len that agrees with the inputs is fine; a dict may stand for the config.
    assert model.simulate(inputs=[1, 0, 0], seq_len=3).params["seq_len"] == 3
    from_dict = model.simulate({"activation": "linear", "w_rec": 0.5}, inputs=[1.0, 0.0, 0.5])
    assert from_dict.grad_log10.tolist() == listed.grad_log10.tolist()
