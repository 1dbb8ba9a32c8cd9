"""What a closed socket means to the client: retry, or stop with a clear error."""

from __future__ import annotations

import pytest

from cocalc_compute_wasm.client import AuthError, ConnectionLost, Refused
from cocalc_compute_wasm.client.connection import close_error


@pytest.mark.parametrize(
    ("code", "reason", "kind", "message"),
    [
        (4401, "the API key has been revoked", AuthError, "refused the API key: the API key"),
        (4505, "", Refused, "another protocol version: close code 4505"),
        (1000, "bye", ConnectionLost, "closed the connection: bye (close code 1000)"),
        (1008, "too far behind", ConnectionLost, "too far behind"),
        (1006, "", ConnectionLost, "was lost"),
        (None, "", ConnectionLost, "was lost"),
    ],
)
def test_close_codes_map_to_what_the_client_does_next(code, reason, kind, message):
    error = close_error(code, reason)
    assert type(error) is kind
    assert message in str(error)


def test_only_refusals_stop_the_client():
    assert isinstance(close_error(4401, ""), Refused)
    assert not isinstance(close_error(1011, "server error"), Refused)
