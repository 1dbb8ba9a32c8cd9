"""The greedy resolution of `wheels add` (sans-IO), driven by an index held in a dict:
project -> version -> Requires-Dist lines."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.version import Version

from cocalc_compute_wasm.wheelhouse.resolve import (
    RequirementError,
    Resolution,
    parse_requirements,
)


def resolve(typed, index):
    """Answer every need with the newest release in range, as pip download does."""
    resolution = Resolution(parse_requirements(typed))
    asked = []
    while (need := resolution.next_need()) is not None:
        asked.append(need)
        releases = [v for v in index.get(need.name, {}) if Version(v) in need.specifier]
        if not releases:
            resolution.missing(need, "no browser-ready wheel")
            continue
        version = max(releases, key=Version)
        filename = f"{need.name.replace('-', '_')}-{version}-py3-none-any.whl"
        resolution.found(need, filename, index[need.name][version])
    return resolution, asked


def test_dependencies_follow_browser_markers_and_extras():
    index = {
        "requests": {
            "2.34.2": [
                "idna<4,>=2.5",
                'pysocks!=1.5.7,>=1.5.6; extra == "socks"',
                'colorama; sys_platform == "win32"',
                'pyodide-http; sys_platform == "emscripten"',
            ]
        },
        "idna": {"3.20": [], "4.0": []},
        "pysocks": {"1.7.1": []},
        "pyodide-http": {"0.2.2": []},
    }
    resolution, _ = resolve(["requests==2.34.2"], index)
    assert resolution.problems == []
    assert sorted(resolution.wheels) == ["idna", "pyodide-http", "requests"]
    assert "3.20" in resolution.wheels["idna"]
    with_socks, _ = resolve(["requests[socks]"], index)
    assert "pysocks" in with_socks.wheels


def test_a_later_requirement_retakes_an_earlier_choice():
    index = {
        "a": {"1.0": ["c"]},
        "b": {"1.0": ["d"]},
        "c": {"1.0": [], "2.0": []},
        "d": {"1.0": ["c<2"]},  # asked after c 2.0 was taken
    }
    resolution, asked = resolve(["a", "b"], index)
    assert resolution.problems == []
    assert "c-1.0" in resolution.wheels["c"]
    assert [n.name for n in asked].count("c") == 2


def test_missing_requirements_are_named_with_who_required_them():
    index = {"a": {"1.0": ["gone>=2"]}}
    resolution, _ = resolve(["a", "nowhere==1"], index)
    assert sorted(resolution.problems) == [
        "gone>=2 (required by a): no browser-ready wheel",
        "nowhere==1: no browser-ready wheel",
    ]


def test_conflicts_are_reported_not_searched():
    index = {"a": {"1.0": ["c>=2"]}, "b": {"1.0": ["c<2"]}, "c": {"1.0": [], "2.0": []}}
    resolution, _ = resolve(["a", "b"], index)
    assert resolution.problems == ["c<2,>=2 (required by a): no browser-ready wheel"]


@pytest.mark.parametrize("typed", ["foo bar", "==1.0", "pkg @ https://example.com/p.whl"])
def test_bad_requirements_are_refused_with_what_was_typed(typed):
    with pytest.raises(RequirementError, match=re.escape(repr(typed))):
        parse_requirements([typed])


names = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def indexes(draw):
    """Random indexes whose requirements are unversioned: always satisfiable."""
    return {
        name: {
            f"{v}.0": draw(st.lists(names.filter(lambda n, me=name: n != me), max_size=3))
            for v in range(1, draw(st.integers(1, 3)) + 1)
        }
        for name in draw(st.sets(names, min_size=1))
    }


@given(indexes(), st.lists(names, min_size=1, max_size=3))
def test_the_result_closes_over_every_dependency(index, typed):
    resolution, asked = resolve(typed, index)
    missing = {n for n in "abcde" if n not in index}
    chosen = resolution.wheels
    # every chosen project's dependencies are chosen too, unless missing from the index
    for name, filename in chosen.items():
        version = filename.split("-")[1]
        for line in index[name][version]:
            dep = Requirement(line).name
            assert dep in chosen or dep in missing
    assert all(n in chosen or n in missing for n in typed)
    assert all(p.split(":")[0].split()[0].split("<")[0] in missing for p in resolution.problems)
    assert len(asked) <= 5 * len(index) + 5
