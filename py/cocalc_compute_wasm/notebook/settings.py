"""The notebook's header: nbformat version and notebook metadata <-> the ``settings`` record.

``metadata`` holds the notebook metadata whole (kernelspec, language_info, unknown keys).
``kernel`` mirrors ``metadata.kernelspec.name`` because it is what a collaborator changes
to pick a kernel and what the runner reads; on export it wins: a kernel name that differs
from the kernelspec's replaces the kernelspec with ``{name, display_name: name}`` (the
old display name belonged to the old kernel). ``nbformat_minor`` is the file's own; export
writes at least 5 when it writes cell ids and at most 4 when it cannot.
``nbformat`` is always 4 (nothing else is imported). ``max_output_length`` is a document
setting, not stored in the file: import sets the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import MISSING, InvalidNotebook, require_dict, require_int, require_str
from .schema import (
    DEFAULT_MAX_OUTPUT_LENGTH,
    ID,
    KERNEL,
    MAX_OUTPUT_LENGTH,
    METADATA,
    NBFORMAT,
    NBFORMAT_MINOR,
    SETTINGS,
    SETTINGS_ID,
    TYPE,
)

NBFORMAT_VERSION: Final = 4
MINOR_WITH_IDS: Final = 5
"""nbformat 4.5 introduced cell ids."""

# Notebook metadata that Jupyter's writer strips (nbformat.v4.rwbase.strip_transient).
_TRANSIENT_METADATA: Final = ("orig_nbformat", "orig_nbformat_minor", "signature")


def settings_from_ipynb(nb: Mapping[str, Any]) -> dict[str, Any]:
    """The settings record of a notebook's header; refuses anything but nbformat 4."""
    version = nb.get("nbformat", MISSING)
    if version is MISSING:
        raise InvalidNotebook("not an nbformat 4 notebook: nbformat is missing")
    if type(version) is not int or version != NBFORMAT_VERSION:
        raise InvalidNotebook(f"not an nbformat 4 notebook: nbformat is {version!r}")
    metadata = dict(require_dict(nb.get("metadata", {}), "metadata"))
    record: dict[str, Any] = {
        TYPE: SETTINGS,
        ID: SETTINGS_ID,
        METADATA: metadata,
        NBFORMAT: NBFORMAT_VERSION,
        # Missing in some old files; Jupyter's reader takes 0 too.
        NBFORMAT_MINOR: require_int(nb.get("nbformat_minor", 0), "nbformat_minor"),
        MAX_OUTPUT_LENGTH: DEFAULT_MAX_OUTPUT_LENGTH,
    }
    kernelspec = metadata.get("kernelspec")
    if isinstance(kernelspec, Mapping) and isinstance(kernelspec.get("name"), str):
        record[KERNEL] = kernelspec["name"]
    return record


def header_to_ipynb(settings: Mapping[str, Any] | None, with_ids: bool) -> dict[str, Any]:
    """``metadata``, ``nbformat`` and ``nbformat_minor`` of the file (no settings: defaults)."""
    settings = settings or {}
    metadata = settings.get(METADATA)
    metadata = {} if metadata is None else dict(require_dict(metadata, "settings: metadata"))
    for key in _TRANSIENT_METADATA:
        metadata.pop(key, None)
    kernel = settings.get(KERNEL)
    if kernel is not None:
        kernel = require_str(kernel, "settings: kernel")
        kernelspec = metadata.get("kernelspec")
        if not (isinstance(kernelspec, Mapping) and kernelspec.get("name") == kernel):
            metadata["kernelspec"] = {"name": kernel, "display_name": kernel}
    minor = settings.get(NBFORMAT_MINOR)
    minor = MINOR_WITH_IDS if minor is None else require_int(minor, "settings: nbformat_minor")
    minor = max(minor, MINOR_WITH_IDS) if with_ids else min(minor, MINOR_WITH_IDS - 1)
    return {"metadata": metadata, "nbformat": NBFORMAT_VERSION, "nbformat_minor": minor}
