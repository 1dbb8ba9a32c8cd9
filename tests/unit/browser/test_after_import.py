"""after_import: set-up that runs when a cell first imports a module, not at start."""

from __future__ import annotations

import sys

import pytest

from cocalc_compute_wasm.browser.after_import import after_import


@pytest.fixture
def fresh_module(tmp_path, monkeypatch):
    (tmp_path / "lazy_thing.py").write_text("VALUE = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazy_thing"
    sys.modules.pop("lazy_thing", None)


def test_runs_once_right_after_the_first_import(fresh_module):
    seen = []
    after_import(fresh_module, lambda module: seen.append(module.VALUE))
    assert seen == []
    import lazy_thing

    assert seen == [41]
    sys.modules.pop(fresh_module)
    import lazy_thing  # noqa: F401, F811

    assert seen == [41]  # the hook is gone after its one run


def test_runs_at_once_for_a_module_already_imported():
    seen = []
    after_import("json", lambda module: seen.append(module.__name__))
    assert seen == ["json"]


def test_a_module_that_does_not_exist_still_fails_as_usual():
    after_import("no_such_module_here", lambda module: None)
    with pytest.raises(ModuleNotFoundError):
        import no_such_module_here  # noqa: F401


def test_a_submodule_is_bound_to_its_package_when_the_hook_runs(tmp_path, monkeypatch):
    package = tmp_path / "lazy_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "part.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    try:
        after_import(
            "lazy_package.part", lambda module: seen.append(sys.modules["lazy_package"].part.VALUE)
        )
        import lazy_package.part  # noqa: F401

        assert seen == [7]
    finally:
        for name in ("lazy_package.part", "lazy_package"):
            sys.modules.pop(name, None)
