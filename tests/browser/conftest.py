"""Browser-test fixtures: pytest-base-url's `base_url` is replaced by the live server's URL."""

from __future__ import annotations

import pytest


# pytest-base-url defines `base_url` as a session fixture on a class instance, which pytest 9
# deprecates; with warnings as errors that fails every test using `page`. Overriding it here
# avoids that and lets tests navigate with relative URLs.
@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return str(live_server.url)
