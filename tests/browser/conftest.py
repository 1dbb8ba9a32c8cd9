import pytest

from cocalc_compute_wasm.headless import launch_chromium


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def chromium():
    """A fresh headless Chromium (new profile) per test."""
    with launch_chromium() as driver:
        yield driver
