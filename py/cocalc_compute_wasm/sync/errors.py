"""The ways the sync core refuses its input.

All are `ValueError`s whose message says exactly what was wrong, so that a shell can close a
connection (or refuse to open a document) with that message as the reason.
"""

from collections.abc import Iterator
from contextlib import contextmanager


class SyncError(ValueError):
    """Base class: catch this to handle every refusal of the sync core."""


class InvalidPatch(SyncError):
    """A patch, a record, a document value or a patch message is malformed.

    Raised for local mistakes and for junk off the wire alike: the shell never has to guess
    which exception a decoder might leak.
    """


class InvalidLog(SyncError):
    """A log and what is known of it disagree, beyond what any merge can repair.

    The persisted tail does not continue its snapshot; a replica received its own patch out
    of the order it made them (two replicas sharing one client id, say); or a replica asks
    to catch up from a seq past the log's end (the log lost patches it once sent).
    """


def brief(value: object, limit: int = 40) -> str:
    """A short, safe repr: junk off the wire may be huge or deeply nested, and repr() of that
    is long or raises (RecursionError, or ValueError for an int of thousands of digits)."""
    if isinstance(value, tuple):  # a key: scalars, shown in full
        text = "(" + ", ".join(brief(v, limit) for v in value) + ("," * (len(value) == 1)) + ")"
    elif isinstance(value, list | dict | set | frozenset):
        return f"<{type(value).__name__} of {len(value)}>"
    elif isinstance(value, int) and value.bit_length() > 64:
        return f"<{value.bit_length()}-bit integer>"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextmanager
def within(where: str) -> Iterator[None]:
    """Prefix the message of an InvalidPatch raised inside with where it happened."""
    try:
        yield
    except InvalidPatch as e:
        raise InvalidPatch(f"{where}: {e}") from None
