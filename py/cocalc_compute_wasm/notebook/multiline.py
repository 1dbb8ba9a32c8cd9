"""nbformat's multiline strings: a list of lines in the file, one string in the document.

nbformat lets ``source``, stream ``text`` and textual mime data be a string or a list of
strings. The document keeps one string, because collaborators edit ``input`` with
diff-match-patch and outputs are compared as text. Export splits exactly where Jupyter's
own writer (``nbformat.v4.rwbase.split_lines``) does, so that a notebook Jupyter saved is
written back byte for byte, and ``git diff`` of a saved notebook shows changed lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import fail, require_dict

# Besides text/*, the mime types whose strings Jupyter splits into lines.
_SPLIT_MIMES: Final = frozenset({"application/javascript", "image/svg+xml"})


def is_json_mime(mime: str) -> bool:
    """``application/json`` and ``application/*+json`` hold any JSON value, not text."""
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def join_lines(value: object, what: str) -> str:
    """One string from a multiline string of either form."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    raise fail(what, "a string or an array of strings", value)


def split_lines(text: str) -> list[str]:
    """The lines Jupyter writes: ``"".join(split_lines(s)) == s`` for every string."""
    return text.splitlines(keepends=True)


def join_mimebundle(bundle: object, what: str) -> dict[str, Any]:
    """A mime bundle (output data, an attachment) with every text value as one string."""
    return {
        mime: value if is_json_mime(mime) else join_lines(value, f"{what} {mime!r}")
        for mime, value in require_dict(bundle, what).items()
    }


def split_mimebundle(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """A joined mime bundle as Jupyter writes it: text/*, JavaScript and SVG split into lines."""
    return {
        mime: split_lines(value)
        if isinstance(value, str) and (mime.startswith("text/") or mime in _SPLIT_MIMES)
        else value
        for mime, value in bundle.items()
    }
