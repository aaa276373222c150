"""Shared fixtures of the engine tests: run a test on each simulate() path."""

from __future__ import annotations

import pytest

import model.engine


@pytest.fixture(params=["numpy", "torch"])
def engine_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The vanilla RNN on CPU float64 takes numpy by default; "torch" forces the batched pass."""
    if request.param == "torch":
        monkeypatch.setattr(model.engine, "NUMPY_MAX_HIDDEN", -1)
    return str(request.param)
