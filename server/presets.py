"""Named teaching presets: the articles' examples, each with a one-sentence caption."""

from __future__ import annotations

from typing import Any

# Params list only what differs from the defaults, so a preset's URL stays short.
PRESETS: tuple[dict[str, Any], ...] = (
    {
        "id": "vanishing-w2-0.1",
        "title": "W2 = 0.1: gradient vanishes",
        "caption": "With a feedback weight of 0.1 the input X1 reaches ŷ5 multiplied by "
        "0.1^4 = 0.0001, so the first step barely learns.",
        "params": {"activation": "linear", "seq_len": 5, "w_rec": 0.1},
    },
    {
        "id": "exploding-w2-2",
        "title": "W2 = 2: gradient explodes",
        "caption": "With a feedback weight of 2 the same path multiplies by 2^4 = 16, "
        "and longer sequences blow up exponentially.",
        "params": {"activation": "linear", "seq_len": 5, "w_rec": 2.0},
    },
    {
        "id": "tanh-saturation",
        "title": "Saturated tanh",
        "caption": "A large input drives tanh into its flat tails where its slope is nearly 0, "
        "so even W2 = 1 cannot carry the gradient back.",
        "params": {"activation": "tanh", "w_in": 5.0, "input_pattern": "constant"},
    },
    {
        "id": "sigmoid",
        "title": "Sigmoid: slope ¼ at most",
        "caption": "The sigmoid's slope never exceeds 0.25, so with W2 = 1 the gradient "
        "shrinks at least fourfold at every step back.",
        "params": {"activation": "sigmoid"},
    },
    {
        "id": "relu",
        "title": "ReLU keeps the slope at 1",
        "caption": "Where a ReLU neuron is active its slope is exactly 1, so with W2 = 1 the "
        "gradient passes back unchanged.",
        "params": {"activation": "relu", "input_pattern": "constant"},
    },
    {
        "id": "irnn",
        "title": "IRNN: identity and ReLU",
        "caption": "Le, Jaitly and Hinton's IRNN starts W2 as the identity with zero biases, so "
        "a ReLU network first copies its state and its gradient over 100 steps.",
        "params": {
            "activation": "relu",
            "hidden_size": 8,
            "recurrent_init": "identity",
            "seq_len": 100,
            "input_pattern": "constant",
        },
    },
    {
        "id": "clipping",
        "title": "Gradient clipping",
        "caption": "W2 = 1.5 over 30 steps makes the parameter gradient huge; clipping its "
        "norm to 1 keeps the update's direction and bounds its size.",
        "params": {"activation": "linear", "seq_len": 30, "w_rec": 1.5, "clip_norm": 1.0},
    },
    {
        "id": "rnn-long",
        "title": "A vanilla RNN over 100 steps",
        "caption": "A tanh RNN with W2 = 0.9 loses the first input's gradient almost entirely "
        "over a 100-step sequence.",
        "params": {"hidden_size": 8, "seq_len": 100, "w_rec": 0.9},
    },
    {
        "id": "lstm-long",
        "title": "LSTM rescues the gradient",
        "caption": "The LSTM's cell state is an additive highway: with its forget gate open "
        "(forget_bias 3), 100 steps cost the gradient only a factor of about 3 (0.989 a step, "
        "just inside 'vanishing'), where the vanilla RNN over 100 steps loses 70,000.",
        "params": {"cell": "lstm", "hidden_size": 8, "seq_len": 100, "forget_bias": 3.0},
    },
    {
        "id": "gru-long",
        "title": "GRU rescues the gradient",
        "caption": "A bias of 2 holds the GRU's update gate mostly open, so the old state and "
        "its gradient pass straight through and 100 steps cost far less than in the vanilla RNN.",
        "params": {"cell": "gru", "hidden_size": 8, "seq_len": 100, "bias": 2.0},
    },
    {
        "id": "bidirectional",
        "title": "Bidirectional RNN",
        "caption": "A second chain reads the sequence backwards, so with a loss at every step "
        "both ends of the sequence receive gradient.",
        "params": {"bidirectional": True, "loss": "all", "w_rec": 0.5},
    },
    {
        "id": "dogs-were-barking",
        "title": "The dogs ... were barking",
        "caption": "For 'were' to agree with 'dogs' nine words earlier, the gradient from the "
        "last word must reach the second input, and with W2 = 0.5 it hardly does.",
        "params": {
            "activation": "tanh",
            "w_rec": 0.5,
            "inputs": [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        },
    },
)
