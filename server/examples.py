"""OpenAPI examples, one per schema: the articles' linear neuron (W2 = 0.1) on three steps."""

from __future__ import annotations

from typing import Any

SIMULATE_REQUEST: dict[str, Any] = {
    "cell": "rnn",
    "activation": "linear",
    "hidden_size": 1,
    "seq_len": 3,  # as SIMULATE_RESPONSE: the example request answers the example response
    "w_rec": 0.1,
    "w_in": 1.0,
    "input_pattern": "impulse",
    "loss": "last",
}

SWEEP_REQUEST: dict[str, Any] = {
    "cell": "rnn",
    "activation": "tanh",
    "seq_len": 20,
    "w_rec_min": 0.0,
    "w_rec_max": 3.0,
    "steps": 61,
}

PARAMS: dict[str, Any] = {
    "cell": "rnn",
    "activation": "linear",
    "hidden_size": 1,
    "seq_len": 3,
    "w_rec": 0.1,
    "w_in": 1.0,
    "bias": 0.0,
    "recurrent_init": "orthogonal",
    "inputs": None,
    "input_pattern": "impulse",
    "loss": "last",
    "clip_norm": None,
    "bidirectional": False,
    "forget_bias": 0.0,
    "seed": 0,
    "device": "auto",
    "dtype": "float64",
}

SIMULATE_RESPONSE: dict[str, Any] = {
    "params": PARAMS,
    "hidden": [[1.0], [0.1], [0.010000000000000002]],
    "grad_log10": [-2.0, -1.0, 0.0],
    "grad_norm": [0.01, 0.1, 1.0],
    "input_grad_log10": [-2.0, -1.0, 0.0],
    "step_bound_log10": [None, -1.0, -1.0],
    "growth_per_step": 0.1,
    "regime": "vanishing",
    "weights": {
        "weight_ih_l0": [[1.0]],
        "weight_hh_l0": [[0.1]],
        "bias_ih_l0": [0.0],
        "bias_hh_l0": [0.0],
    },
    "inputs": [[1.0], [0.0], [0.0]],
    "device": "cpu",
    "elapsed_ms": 0.2,
    "param_grad_norm": 1.5824980252752294,
    "param_grad_log10": 0.19934317675409652,
    "clipped_param_grad_norm": None,
    "loss_value": 0.010000000000000002,
}

SWEEP_RESPONSE: dict[str, Any] = {
    "params": {**PARAMS, "w_rec": 1.0, "w_rec_values": [0.5, 1.0, 2.0]},
    "w_rec_values": [0.5, 1.0, 2.0],
    "grad_log10": [
        [-0.6020599913279624, -0.3010299956639812, 0.0],
        [0.0, 0.0, 0.0],
        [0.6020599913279624, 0.3010299956639812, 0.0],
    ],
    "growth_per_step": [0.5, 1.0, 2.0],
    "regime": ["vanishing", "stable", "exploding"],
    "device": "cpu",
    "elapsed_ms": 0.3,
}

LSTM_GATES: dict[str, Any] = {
    "input": [[0.73], [0.5]],
    "forget": [[0.73], [0.5]],
    "candidate": [[0.76], [0.0]],
    "output": [[0.73], [0.5]],
}

GRU_GATES: dict[str, Any] = {"reset": [[0.73], [0.5]], "update": [[0.73], [0.5]]}

PRESET: dict[str, Any] = {
    "id": "vanishing-w2-0.1",
    "title": "W2 = 0.1: gradient vanishes",
    "caption": "With a feedback weight of 0.1 the input X1 reaches ŷ5 multiplied by "
    "0.1^4 = 0.0001, so the first step barely learns.",
    "params": {"activation": "linear", "seq_len": 5, "w_rec": 0.1},
}

ERROR: dict[str, Any] = {"detail": "All compute workers are busy; retry in a moment."}
