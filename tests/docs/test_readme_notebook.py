"""The README's notebook example runs as printed and says what its comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def notebook_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("### In a notebook", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the notebook section lost its code block"
    return match.group(1)


def test_the_notebook_example_runs_and_its_comments_hold() -> None:
    code = notebook_block().replace(".show()", "")  # no browser in a test
    names: dict[str, Any] = {}
    exec(compile(code, str(README), "exec"), names)  # our own README's code
    r, s, lstm = names["r"], names["s"], names["lstm"]
    assert r.grad_log10[0] == pytest.approx(-4.0, abs=1e-12)
    assert (r.regime, r.growth_per_step) == ("vanishing", pytest.approx(0.1, rel=1e-12))
    assert r.to_dict()["regime"] == "vanishing"
    assert lstm.cell_grad_log10 is not None and len(lstm.cell_grad_log10) == 1000
    assert s.grad_log10.shape == (4, 20) and len(s.regime) == 4
    assert s.figure().data  # the phase diagram has a trace
