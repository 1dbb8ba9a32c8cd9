"""Which browser-fit wheels a set of requirements needs (sans-IO).

A `Resolution` starts from the requirements a person typed and asks, one `Need` at a
time, for the best browser-fit wheel of a project within a version range; the IO shell
answers each with `found(need, filename, requires)` (the wheel's Requires-Dist) or
`missing(need, why)`. Markers are evaluated as the browser kernel sees them
(``sys_platform == "emscripten"``), which is why pip's own resolver, which evaluates
them for the host, cannot be used.

The resolution is greedy, like pip's before its backtracking resolver: the newest
fitting release is taken, and taken again (newest within the combined range) when a
later requirement excludes it. Conflicts that no single release satisfies are problems
to report, not to search around.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from .tags import PYTHON, browser_environment

MAX_TAKES = 5
"""How often one project may be taken again before the resolution gives up on it."""


class RequirementError(ValueError):
    """A requirement as typed is not a valid PEP 508 requirement."""


@dataclass(frozen=True)
class Need:
    """Find the newest browser-fit wheel of `name` whose version is in `specifier`."""

    name: NormalizedName
    specifier: SpecifierSet
    required_by: str
    """Who asked first: "you" for a typed requirement, else the project that did."""

    @property
    def requirement(self) -> str:
        return f"{self.name}{self.specifier}"


@dataclass
class _Project:
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    extras: set[str] = field(default_factory=set)
    required_by: str = "you"
    filename: str | None = None
    requires: list[Requirement] = field(default_factory=list)
    takes: int = 0
    pending: bool = False
    missing: bool = False


def parse_requirements(typed: list[str]) -> list[Requirement]:
    """PEP 508 requirements, each error naming what was typed."""
    parsed = []
    for text in typed:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise RequirementError(f"{text!r} is not a valid requirement: {error}") from None
        if requirement.url:
            raise RequirementError(f"{text!r}: requirements by URL are not supported")
        parsed.append(requirement)
    return parsed


class Resolution:
    def __init__(self, requirements: list[Requirement], python: str = PYTHON) -> None:
        self._python = python
        self._projects: dict[NormalizedName, _Project] = {}
        self._queue: list[NormalizedName] = []
        self.problems: list[str] = []
        for requirement in requirements:
            self._require(requirement, "you")

    # --- the IO shell's side ---------------------------------------------------------

    def next_need(self) -> Need | None:
        """The next wheel to look for; None when the resolution is over."""
        while self._queue:
            name = self._queue.pop(0)
            project = self._projects[name]
            project.pending = False
            if project.takes >= MAX_TAKES:
                self.problems.append(
                    f"{name}: no release settles {project.specifier or 'any version'} "
                    f"after {MAX_TAKES} tries"
                )
                continue
            project.takes += 1
            return Need(name, project.specifier, project.required_by)
        return None

    def found(self, need: Need, filename: str, requires: list[str]) -> None:
        """The wheel the shell found for `need`, with its Requires-Dist lines."""
        project = self._projects[need.name]
        got_name, version = parse_wheel_filename(filename)[:2]
        if canonicalize_name(got_name) != need.name or not self._allows(project, version):
            raise ValueError(f"{filename} does not answer {need.requirement}")
        project.filename = filename
        project.requires = [Requirement(line) for line in requires]
        self._require_dependencies(need.name)

    def missing(self, need: Need, why: str) -> None:
        self._projects[need.name].missing = True
        required = "" if need.required_by == "you" else f" (required by {need.required_by})"
        self.problems.append(f"{need.requirement}{required}: {why}")

    @property
    def wheels(self) -> dict[NormalizedName, str]:
        """The chosen wheel of each project, once `next_need()` returned None."""
        return {n: p.filename for n, p in self._projects.items() if p.filename is not None}

    # --- requirements ----------------------------------------------------------------

    def _require(self, requirement: Requirement, by: str) -> None:
        name = canonicalize_name(requirement.name)
        project = self._projects.get(name)
        if project is None:
            project = self._projects[name] = _Project(required_by=by)
        project.specifier &= requirement.specifier
        new_extras = set(requirement.extras) - project.extras
        project.extras |= new_extras
        if project.missing:
            return
        if project.filename is None or not self._allows(
            project, parse_wheel_filename(project.filename)[1]
        ):
            self._enqueue(name)
        elif new_extras:
            self._require_dependencies(name)

    def _require_dependencies(self, name: NormalizedName) -> None:
        project = self._projects[name]
        for requirement in project.requires:
            if requirement.marker is None or any(
                requirement.marker.evaluate(browser_environment(self._python, extra))
                for extra in ("", *project.extras)
            ):
                self._require(requirement, name)

    def _allows(self, project: _Project, version: Version) -> bool:
        return project.specifier.contains(version, prereleases=True)

    def _enqueue(self, name: NormalizedName) -> None:
        project = self._projects[name]
        if not project.pending:
            project.pending = True
            self._queue.append(name)
