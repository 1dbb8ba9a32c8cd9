"""Makes `runner_bench` (the runner's test bench) importable by the test modules here: the
suite runs in pytest's importlib mode, which puts no test folder on sys.path."""

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "runner_bench", Path(__file__).with_name("runner_bench.py")
)
assert _spec is not None
assert _spec.loader is not None
sys.modules["runner_bench"] = _module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
