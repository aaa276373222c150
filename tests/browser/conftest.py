"""Browser-test fixtures: console-error collection, a slider helper, and `base_url`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page


# pytest-base-url defines `base_url` as a session fixture on a class instance, which pytest 9
# deprecates; with warnings as errors that fails every test using `page`. Overriding it here
# avoids that and lets tests navigate with relative URLs.
@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return str(live_server.url)


@pytest.fixture
def errors(page: Page) -> Iterator[list[str]]:
    """Console errors and uncaught exceptions (any frame); each test asserts there are none."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"uncaught: {error}"))
    yield found


def move_slider(slider: Locator, value: float) -> None:
    """Move a range input as a drag does: an input event, then change on release."""
    slider.evaluate(
        """(slider, value) => {
            slider.value = String(value);
            slider.dispatchEvent(new Event("input", { bubbles: true }));
            slider.dispatchEvent(new Event("change", { bubbles: true }));
        }""",
        value,
    )


@pytest.fixture
def slide() -> Callable[[Locator, float], None]:
    return move_slider
