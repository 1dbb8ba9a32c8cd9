"""The frame codec: one binary websocket message <-> one msgpack map, within limits.

Decoding is where untrusted bytes meet Python objects, so the limits are enforced here:
the frame size before anything is unpacked, msgpack's own per-container length limits
(derived from the frame's size, so a 5-byte header cannot announce a 4-billion-element
array), no extension types, string map keys only, and a nesting depth bound. Everything
a frame decodes to is then at most linear in its size (worst case some 70 bytes of
Python objects per byte, for a frame of empty maps), and shallow enough for recursive
consumers. Outgoing messages are held to the same rules, so that we never send what a
peer of ours would reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from .errors import CloseCode, LocalProtocolError, ProtocolError

_SCALARS = (type(None), bool, int, float, str, bytes, bytearray)
_EXACT_SCALARS = frozenset(_SCALARS)  # a set lookup settles the common case fast
_CONTAINERS = (dict, list, tuple)


@dataclass(frozen=True)
class FrameLimits:
    """Bounds on one frame; the same on both sides by default."""

    max_frame_size: int = 16 * 1024 * 1024
    """Largest frame in bytes (received or sent). Shells should also give it to their
    websocket library, so that an oversize message is refused before it is buffered."""
    max_depth: int = 64
    """Deepest nesting of maps and lists; the frame's own map is level 1."""
    max_auth_frame_size: int = 4096
    """Largest frame a server accepts before authentication, when only the small auth
    frame is valid: a stranger cannot make it unpack megabytes."""


DEFAULT_LIMITS = FrameLimits()


def _check_tree(value: dict[str, Any], max_depth: int) -> str | None:
    """Return why ``value`` is not a plain msgpack tree within ``max_depth``, or None.

    Walks level by level (no recursion, so the check cannot overflow the stack).
    Allowed: None, bool, int, float, str, bytes, lists (tuples when sending) and maps
    with str keys. Costs about a third of msgpack's own decoding time.
    """
    level: list[Any] = [value]
    depth = 1
    while level:
        if depth > max_depth:
            return f"nesting deeper than {max_depth} levels"
        below = []
        for node in level:
            if isinstance(node, dict):
                for key in node:
                    if not isinstance(key, str):
                        return "map keys must be strings"
                children = node.values()
            else:
                children = node
            for child in children:
                if type(child) in _EXACT_SCALARS:
                    continue
                if isinstance(child, _CONTAINERS):
                    below.append(child)
                elif not isinstance(child, _SCALARS):
                    return f"unsupported value type {type(child).__name__}"
        level = below
        depth += 1
    return None


def _explain(exc: ValueError) -> str:
    """msgpack's message, or what its errors that come without one mean."""
    if isinstance(exc, msgpack.StackError):
        return "nested deeper than msgpack decodes"
    if isinstance(exc, msgpack.FormatError):
        return "a byte that begins no msgpack value"
    return str(exc) or type(exc).__name__


def decode_frame(data: bytes | bytearray | memoryview, limits: FrameLimits) -> dict[str, Any]:
    """Decode one received binary frame into its map, or raise ProtocolError."""
    size = memoryview(data).nbytes
    if size > limits.max_frame_size:
        raise ProtocolError(
            CloseCode.TOO_BIG,
            f"frame of {size} bytes exceeds the limit of {limits.max_frame_size} bytes",
        )
    try:
        # The max_*_len limits default to the frame's size; max_ext_len=0 refuses
        # extension types (timestamps included), strict_map_key refuses non-string keys
        # that would not even be hashable.
        message = msgpack.unpackb(data, raw=False, strict_map_key=True, max_ext_len=0)
    except ValueError as exc:  # every msgpack decoding failure is a ValueError
        raise ProtocolError(
            CloseCode.PROTOCOL_ERROR, f"not a msgpack frame: {_explain(exc)}"
        ) from None
    if not isinstance(message, dict):
        raise ProtocolError(
            CloseCode.PROTOCOL_ERROR, f"frame must be a msgpack map, not {type(message).__name__}"
        )
    problem = _check_tree(message, limits.max_depth)
    if problem is not None:
        raise ProtocolError(CloseCode.PROTOCOL_ERROR, f"frame rejected: {problem}")
    return message


def encode_frame(message: dict[str, Any], limits: FrameLimits) -> bytes:
    """Encode one map to send, or raise LocalProtocolError if a peer would reject it."""
    problem = _check_tree(message, limits.max_depth)
    if problem is not None:
        raise LocalProtocolError(f"cannot send this message: {problem}")
    try:
        data = msgpack.packb(message, use_bin_type=True)
    except (OverflowError, ValueError) as exc:  # what _check_tree lets by: huge ints, surrogates
        raise LocalProtocolError(f"cannot send this message: {exc}") from None
    if len(data) > limits.max_frame_size:
        raise LocalProtocolError(
            f"cannot send a frame of {len(data)} bytes: the limit is {limits.max_frame_size}"
        )
    return data
