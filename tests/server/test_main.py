"""`python -m server` options: the access log is opt-in and goes to stderr."""

from __future__ import annotations

import pytest

from server.__main__ import log_config, parse_args


def test_access_log_is_off_by_default_and_can_be_turned_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RNNGF_ACCESS_LOG", raising=False)
    assert parse_args([]).access_log is False
    assert parse_args(["--access-log"]).access_log is True
    monkeypatch.setenv("RNNGF_ACCESS_LOG", "1")
    assert parse_args([]).access_log is True
    assert parse_args(["--no-access-log"]).access_log is False


def test_access_log_goes_to_stderr_and_uvicorn_defaults_are_untouched() -> None:
    from uvicorn.config import LOGGING_CONFIG

    assert log_config()["handlers"]["access"]["stream"] == "ext://sys.stderr"
    assert LOGGING_CONFIG["handlers"]["access"]["stream"] == "ext://sys.stdout"
