"""Length-prefixed msgpack frames over a pipe, between a worker and its kernel process.

Dedicated pipe file descriptors, not the child's stdout: a cell may write to fd 1 from C
code or a subprocess, and that must never be taken for a frame.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack

HEADER = struct.Struct(">I")
MAX_FRAME = 256 << 20


class FrameError(Exception):
    """The other end sent something that is not a frame, or went away."""


def encode(message: dict[str, Any]) -> bytes:
    body = msgpack.packb(message, use_bin_type=True)
    return HEADER.pack(len(body)) + body


def decode_length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME:
        raise FrameError(f"a frame of {length} bytes is over the {MAX_FRAME}-byte limit")
    return length


def decode_body(body: bytes) -> dict[str, Any]:
    message = msgpack.unpackb(body, raw=False)
    if not isinstance(message, dict):
        raise FrameError(f"a frame must be a map, not {type(message).__name__}")
    return message
