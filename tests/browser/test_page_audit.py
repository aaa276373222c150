"""Fixes from an audit of the page: the bound and the readout with nearby outputs (loss "all",
bidirectional), links over the total-work cap, notices after a preset, the reason for an exact
zero, the stable regime over long chains, the Loss select's labels, text sizes on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from qa_helpers import settled

pytestmark = pytest.mark.browser


def open_settled(page: Page, url: str) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto(url)
    settled(page)


# ---- 3. a preset clears the link's notice ---------------------------------------------------


def test_choosing_a_preset_clears_the_link_notice(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?w_rec=abc")
    notice = page.locator("#query-notice")
    expect(notice).to_have_text("w_rec=abc was not understood; using 1.")
    expect(page.locator("#ctl-preset option")).not_to_have_count(1)  # the presets have loaded
    page.locator("#ctl-preset").select_option(label="W2 = 2: the gradient explodes")
    settled(page)
    expect(page.locator("#regime")).to_have_text("exploding")
    expect(notice).to_be_hidden()
    assert errors == []


# ---- 4. the reason for an exact zero --------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "reason"),
    [
        ("w_rec=0&activation=relu", "(W2 = 0)"),  # h₁ = 1, active: the cut is W2
        ("w_rec=0", "(W2 = 0)"),
        ("w_rec=0&activation=relu&w_in=0", "(W1 = 0)"),  # W1 = 0 comes first
        ("activation=relu&w_in=-1", "(dead ReLU)"),  # h₁ = relu(−1) = 0
    ],
)
def test_exact_zero_names_its_cause(
    page: Page, errors: list[str], search: str, reason: str
) -> None:
    open_settled(page, f"/?{search}")
    expect(page.locator("#readout-text")).to_contain_text(
        f"x₁ reaches ŷ₂₀ multiplied by exactly zero {reason}."
    )
    assert errors == []


def test_w2_zero_with_a_loss_on_every_step_is_not_a_zero(page: Page, errors: list[str]) -> None:
    """x₁ reaches ŷ₁ directly: W2 = 0 cuts only the paths to later outputs."""
    open_settled(page, "/?w_rec=0&activation=relu&loss=all")
    expect(page.locator("#readout-text")).to_contain_text(
        "x₁ reaches the loss over ŷ₁ … ŷ₂₀ multiplied by 1."
    )
    assert errors == []


# ---- 5. "stable" over a long chain ----------------------------------------------------------


def test_stable_regime_over_a_long_chain_does_not_say_steady(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=2000&w_rec=1.01")
    expect(page.locator("#regime")).to_have_text("stable")
    text = page.locator("#readout-text").inner_text()
    assert "x₁ reaches ŷ₂₀₀₀ multiplied by 4.3 × 10⁸." in text
    assert "holds steady" not in text
    assert (
        "Each step back multiplies the gradient by about 1.01, so it changes little from one"
        " step to the next. The gradient is 4.3 × 10⁸ at h₁ and 1 at h₂₀₀₀." in text
    ), text
    assert errors == []
