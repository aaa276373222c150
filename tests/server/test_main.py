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


@pytest.mark.parametrize(("env", "deflate"), [(None, True), ("false", False), ("1", True)])
def test_uvicorn_gets_the_websocket_compression_setting(
    monkeypatch: pytest.MonkeyPatch, env: str | None, deflate: bool
) -> None:
    import server.__main__ as entry

    if env is None:
        monkeypatch.delenv("RNNGF_WS_PER_MESSAGE_DEFLATE", raising=False)
    else:
        monkeypatch.setenv("RNNGF_WS_PER_MESSAGE_DEFLATE", env)
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(entry.uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr("sys.argv", ["python -m server", "--port", "8123"])
    entry.main()
    assert calls and calls[0]["ws_per_message_deflate"] is deflate
    assert calls[0]["port"] == 8123
