"""Frame shapes: a decoded map <-> an event, with no connection state involved.

A received map is classified by its envelope keys, in this order (the JS client must
do the same): ``ch`` -> channel message, else ``ok`` -> response, else ``id`` -> request,
else ``cmd == "auth"`` -> auth frame; anything else is a protocol error. A payload
(request args, response result, channel body) therefore must not use the envelope keys
that would change that classification; building a message to send checks it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from .errors import CloseCode, ErrorCode, LocalProtocolError, ProtocolError
from .events import (
    AuthRequested,
    ChannelMessage,
    ClientKind,
    ErrorResponse,
    Hello,
    HelloAccepted,
    Message,
    Request,
    Response,
)

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change of the frames below; both sides must agree."""

AUTH_CMD = "auth"
HELLO_CMD = "hello"

MAX_ID = 2**53 - 1
"""Ids and integer channel ids stay within JavaScript's safe integers."""

_REQUEST_RESERVED = frozenset({"id", "cmd", "ok", "ch"})
_RESPONSE_RESERVED = frozenset({"id", "ok", "ch"})
_CHANNEL_RESERVED = frozenset({"ch"})
_HELLO_ARGS = frozenset({"protocol", "kind", "client_id"})
_HELLO_RESULT = frozenset({"protocol", "server_time"})
_KINDS = frozenset(kind.value for kind in ClientKind)
_ERROR_CODES = frozenset(code.value for code in ErrorCode)


def is_request_id(value: object) -> bool:
    """A request id is an integer in [0, MAX_ID] (bool is not an integer here)."""
    return type(value) is int and 0 <= value <= MAX_ID


def is_channel_id(value: object) -> bool:
    """A channel id is a request-id-like integer or a non-empty string."""
    return is_request_id(value) or (isinstance(value, str) and value != "")


def is_client_kind(value: object) -> bool:
    return isinstance(value, str) and value in _KINDS


def is_client_id(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _show(value: object) -> str:
    """A short rendering of a peer's value for a close reason (which is capped anyway)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _malformed(reason: str) -> NoReturn:
    raise ProtocolError(CloseCode.PROTOCOL_ERROR, reason)


# -- received maps -> events ------------------------------------------------------------


def parse_message(message: dict[str, Any]) -> AuthRequested | Message:
    """Classify and check one decoded frame; raise ProtocolError if it fits no shape."""
    if "ch" in message:
        body = dict(message)
        channel = body.pop("ch")
        if not is_channel_id(channel):
            _malformed(f"'ch' must be an integer in [0, 2**53) or a string, not {_show(channel)}")
        return ChannelMessage(channel, body)
    if "ok" in message:
        return _parse_response(message)
    if "id" in message:
        return _parse_request(message)
    if message.get("cmd") == AUTH_CMD:
        if message.keys() != {"cmd", "api_key"} or not isinstance(message["api_key"], str):
            _malformed("an auth frame is exactly {cmd: 'auth', api_key: <string>}")
        return AuthRequested(message["api_key"])
    _malformed(f"frame has no known shape (keys {_show(sorted(message))})")


def _parse_request(message: dict[str, Any]) -> Request:
    args = dict(message)
    request_id = args.pop("id")
    cmd = args.pop("cmd", None)
    if not is_request_id(request_id):
        _malformed(f"request 'id' must be an integer in [0, 2**53), not {_show(request_id)}")
    if not isinstance(cmd, str) or cmd == "":
        _malformed(f"request {request_id} needs 'cmd', a non-empty string")
    if cmd == AUTH_CMD:
        _malformed("an auth frame has no 'id' and is not a request")
    return Request(request_id, cmd, args)


def _parse_response(message: dict[str, Any]) -> Response | ErrorResponse:
    result = dict(message)
    request_id = result.pop("id", None)
    ok = result.pop("ok")
    if not is_request_id(request_id):
        _malformed(f"response 'id' must be an integer in [0, 2**53), not {_show(request_id)}")
    if ok is True:
        return Response(request_id, result)
    if ok is not False:
        _malformed(f"response 'ok' must be true or false, not {_show(ok)}")
    error = result.pop("error", None)
    if (
        result
        or not isinstance(error, dict)
        or error.keys() != {"code", "message"}
        or not isinstance(error["code"], str)
        or error["code"] == ""
        or not isinstance(error["message"], str)
    ):
        _malformed("an error response is exactly {id, ok: false, error: {code, message}} (strings)")
    return ErrorResponse(request_id, error["code"], error["message"])


def hello_protocol(request: Request) -> object:
    """The protocol version a ``hello`` asks for, read before anything else is checked.

    ``id``, ``cmd`` and ``protocol`` are the part of ``hello`` that never changes, so a
    client of another version is told so, not that its hello is malformed.
    """
    return request.args.get("protocol")


def parse_hello(request: Request) -> Hello:
    """Check a ``hello`` request of our protocol version."""
    args = request.args
    if (
        args.keys() != _HELLO_ARGS
        or type(args["protocol"]) is not int
        or not is_client_kind(args["kind"])
        or not is_client_id(args["client_id"])
    ):
        _malformed(
            "hello is exactly {id, cmd: 'hello', protocol: <int>, "
            "kind: 'collaborator'|'compute', client_id: <non-empty string>}"
        )
    return Hello(ClientKind(args["kind"]), args["client_id"])


def parse_hello_accepted(response: Response) -> HelloAccepted:
    """Check the server's ``ok: true`` answer to our ``hello``."""
    info = dict(response.result)
    protocol = info.pop("protocol", None)
    server_time = info.pop("server_time", None)
    if type(protocol) is not int:
        _malformed(f"hello response needs an integer 'protocol', not {_show(protocol)}")
    if protocol != PROTOCOL_VERSION:
        raise ProtocolError(
            CloseCode.UNSUPPORTED_PROTOCOL,
            f"server answered hello with protocol {_show(protocol)}; we speak {PROTOCOL_VERSION}",
        )
    if not _is_number(server_time):
        _malformed(f"hello response needs a numeric 'server_time', not {_show(server_time)}")
    return HelloAccepted(protocol, server_time, info)


# -- events -> maps to send -------------------------------------------------------------


def _refuse(reason: str) -> NoReturn:
    raise LocalProtocolError(reason)


def _check_payload(what: str, payload: object, reserved: frozenset[str]) -> None:
    if not isinstance(payload, dict):
        _refuse(f"{what} must be a dict, not {type(payload).__name__}")
    clash = reserved.intersection(payload)
    if clash:
        _refuse(f"{what} must not use the reserved keys {sorted(clash)}")


def _check_request_id(request_id: object) -> None:
    if not is_request_id(request_id):
        _refuse(f"request id must be an integer in [0, 2**53), not {request_id!r}")


def build_message(event: Message) -> dict[str, Any]:
    """The map for an event to send; raise LocalProtocolError if a peer would refuse it."""
    match event:
        case Request(request_id, cmd, args):
            _check_request_id(request_id)
            if not isinstance(cmd, str) or cmd == "":
                _refuse(f"cmd must be a non-empty string, not {cmd!r}")
            _check_payload("request args", args, _REQUEST_RESERVED)
            return {"id": request_id, "cmd": cmd, **args}
        case Response(request_id, result):
            _check_request_id(request_id)
            _check_payload("response result", result, _RESPONSE_RESERVED)
            return {"id": request_id, "ok": True, **result}
        case ErrorResponse(request_id, code, message):
            _check_request_id(request_id)
            if not isinstance(code, str) or code not in _ERROR_CODES:
                _refuse(f"unknown error code {code!r}: add it to ErrorCode first")
            if not isinstance(message, str):
                _refuse(f"error message must be a string, not {type(message).__name__}")
            return {"id": request_id, "ok": False, "error": {"code": str(code), "message": message}}
        case ChannelMessage(channel, body):
            if not is_channel_id(channel):
                _refuse(f"channel id must be an integer in [0, 2**53) or a string, not {channel!r}")
            _check_payload("channel body", body, _CHANNEL_RESERVED)
            return {"ch": channel, **body}
    _refuse(f"cannot send a {type(event).__name__}: send() takes the events of Message")


def auth_message(api_key: str) -> dict[str, Any]:
    return {"cmd": AUTH_CMD, "api_key": api_key}


def hello_request(request_id: int, kind: ClientKind, client_id: str) -> Request:
    return Request(
        request_id,
        HELLO_CMD,
        {"protocol": PROTOCOL_VERSION, "kind": str(kind), "client_id": client_id},
    )


def hello_response(request_id: int, server_time: int | float, info: dict[str, Any]) -> Response:
    """The ``ok: true`` answer to ``hello``; ``info`` adds fields such as ``project_id``."""
    if not _is_number(server_time):
        _refuse(f"server_time must be a number, not {server_time!r}")
    _check_payload("hello info", info, _HELLO_RESULT)
    return Response(request_id, {"protocol": PROTOCOL_VERSION, "server_time": server_time, **info})
