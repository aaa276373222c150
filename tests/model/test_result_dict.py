"""to_dict(): the contract's keys, strict JSON, nulls exactly where float64 cannot hold a value."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from model import ConfigError, SimConfig, simulate
from model.result import json_list, normal_powers

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")

RNN_KEYS = {
    "params", "hidden", "grad_log10", "grad_norm", "input_grad_log10", "step_bound_log10",
    "growth_per_step", "regime", "weights", "inputs", "device", "elapsed_ms", "param_grad_norm",
    "param_grad_log10", "clipped_param_grad_norm", "loss_value",
}  # fmt: skip


def test_rnn_dict_has_the_contract_keys_and_shapes() -> None:
    data = simulate(hidden_size=4, seq_len=7).to_dict()
    assert set(data) == RNN_KEYS  # cell_state, gates, cell_grad_log10 are absent for the RNN
    assert data["params"] == SimConfig(hidden_size=4, seq_len=7).to_params()
    assert np.array(data["hidden"]).shape == (7, 4)
    for key in ("grad_log10", "grad_norm", "input_grad_log10", "step_bound_log10"):
        assert len(data[key]) == 7
    assert data["inputs"] == [[1.0]] + [[0.0]] * 6
    assert set(data["weights"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    assert np.array(data["weights"]["weight_hh_l0"]).shape == (4, 4)
    assert data["device"] == "cpu"
    assert data["clipped_param_grad_norm"] is None
    assert data["elapsed_ms"] > 0
    json.dumps(data, allow_nan=False)


def test_bidirectional_weights_and_hidden_width() -> None:
    data = simulate(hidden_size=3, bidirectional=True, seq_len=5).to_dict()
    assert np.array(data["hidden"]).shape == (5, 6)
    assert {k for k in data["weights"] if k.endswith("_reverse")} == {
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
    }  # fmt: skip


def test_orthogonal_base_has_spectral_radius_w_rec() -> None:
    for init in ("orthogonal", "identity", "gaussian"):
        data = simulate(hidden_size=16, recurrent_init=init, w_rec=0.7).to_dict()
        w_hh = np.array(data["weights"]["weight_hh_l0"])
        assert np.abs(np.linalg.eigvals(w_hh)).max() == pytest.approx(0.7, rel=1e-12)


def test_seed_changes_the_draw_and_is_reproducible() -> None:
    def weights(seed: int) -> list:
        return simulate(hidden_size=4, seed=seed).to_dict()["weights"]["weight_hh_l0"]

    assert weights(1) == weights(1)
    assert weights(1) != weights(2)


def test_input_patterns() -> None:
    def xs(pattern: str) -> list:
        return [row[0] for row in simulate(input_pattern=pattern, seq_len=9).to_dict()["inputs"]]

    assert xs("impulse") == [1.0] + [0.0] * 8
    assert xs("constant") == [1.0] * 9
    np.testing.assert_allclose(xs("sine"), [math.sin(2 * math.pi * t / 8) for t in range(1, 10)])
    assert xs("random") != xs("constant") and np.std(xs("random")) > 0.1
    # explicit inputs win and set seq_len
    data = simulate(inputs=[[1, 2], [3, 4], [5, 6]]).to_dict()
    assert data["inputs"] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert data["params"]["seq_len"] == 3
    assert np.array(data["weights"]["weight_ih_l0"]) == pytest.approx(1 / math.sqrt(2))


def test_json_list_replaces_every_non_finite_value() -> None:
    array = np.array([[1.0, np.nan], [np.inf, -np.inf]])
    assert json_list(array) == [[1.0, None], [None, None]]
    assert json_list(np.array([0.5, 2.0])) == [0.5, 2.0]
    assert all(type(v) is float for v in json_list(np.array([0.5, 2.0])))


def test_grad_norm_is_null_outside_normal_float64() -> None:
    values = normal_powers(np.array([-np.inf, -400.0, -307.0, 0.0, 308.0, 309.0, np.nan]))
    assert values[0] == 0.0
    assert np.isnan(values[1]) and np.isnan(values[5]) and np.isnan(values[6])
    assert values[2] == pytest.approx(1e-307) and values[3] == 1.0
    assert values[4] == pytest.approx(1e308)


def test_overrides_and_config_errors() -> None:
    with pytest.raises(ConfigError) as info:
        simulate(activation="softplus")
    assert info.value.field == "activation"
    with pytest.raises(ConfigError) as info:
        simulate(wrec=2.0)
    assert info.value.field == "wrec"
    with pytest.raises(ConfigError) as info:
        simulate(device="cuda") if not _has_cuda() else simulate(w_rec=math.nan)
    assert info.value.field in ("device", "w_rec")


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
