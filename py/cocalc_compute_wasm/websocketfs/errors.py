"""SFTP STATUS replies as the OSError a local disk would raise.

SFTP v3 has eight status codes, so the server folds most errno values into FAILURE (and
ENOTDIR, EBADF, ELOOP into NO_SUCH_FILE, as OpenSSH does); its message is the errno's
`strerror`, which names the errno again. We read the message back through this
platform's own `os.strerror` table (so the errno numbers are this platform's: Pyodide's
differ from Linux's) and fall back on the code when the message is not an errno's.
"""

from __future__ import annotations

import errno
import os

from .packets import Status, StatusCode

__all__ = ["RemoteError", "status_error"]

_ERRNO_OF_MESSAGE: dict[str, int] = {}
for _code in sorted(errno.errorcode, reverse=True):  # the lowest number wins a shared text
    _ERRNO_OF_MESSAGE[os.strerror(_code).lower()] = _code

# the server's own messages (not strerror) that still mean one errno
_ERRNO_OF_PHRASE = (
    ("too many open handles", errno.EMFILE),
    ("no open handle", errno.EBADF),
    ("is not a file handle", errno.EBADF),
    ("is not a directory handle", errno.EBADF),
    ("out of the project", errno.EACCES),
    ("state folder", errno.EACCES),
    ("already exists", errno.EEXIST),
)

_ERRNO_OF_CODE = {
    StatusCode.NO_SUCH_FILE: errno.ENOENT,
    StatusCode.PERMISSION_DENIED: errno.EACCES,
    StatusCode.FAILURE: errno.EIO,
    StatusCode.BAD_MESSAGE: errno.EINVAL,
    StatusCode.OP_UNSUPPORTED: errno.ENOSYS,
    StatusCode.NO_CONNECTION: errno.ENOTCONN,
    StatusCode.CONNECTION_LOST: errno.ECONNRESET,
}


class RemoteError(Exception):
    """A reply that breaks the protocol (wrong id, wrong packet type): a server bug."""


def errno_of(status: Status) -> int:
    message = status.message.strip().lower()
    if message in _ERRNO_OF_MESSAGE:
        return _ERRNO_OF_MESSAGE[message]
    for phrase, code in _ERRNO_OF_PHRASE:
        if phrase in message:
            return code
    return _ERRNO_OF_CODE.get(status.code, errno.EIO)


def status_error(status: Status, path: str, path2: str | None = None) -> OSError:
    """The OSError (its subclass chosen by errno, as `OSError(errno, ...)` does) for a
    failed request on `path` (and `path2`, a rename's target)."""
    code = errno_of(status)
    if path2 is None:
        return OSError(code, os.strerror(code), path)
    return OSError(code, os.strerror(code), path, None, path2)
