"""Bad clients on the project websocket, next to good ones, against the real server.

Each bad connection is closed with its close code and a reason that says what was wrong
(an invalid patch inside a well-formed request is answered `bad_request` instead, as every
failed request is); meanwhile a collaborator's edit goes through and reaches another
collaborator, and the notebook on disk and in the log is untouched by the bad ones.
"""

from __future__ import annotations

import asyncio
import random

import aiohttp
import msgpack

from cocalc_compute_wasm.sync import NOTEBOOK, CatchUp, LogRecord, Replica

PATH = "shared.ipynb"


def pack(value: object) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


#: What each bad client sends after its hello, with the close code and words of the reason.
BAD = [
    (random.Random(9).randbytes(200), 1002, "not a msgpack frame"),
    ("a text message", 1003, "text messages are not part of the protocol"),
    (b"\xc1", 1002, "a byte that begins no msgpack value"),
    (pack({"id": 9, "cmd": "ping"})[:-2], 1002, "not a msgpack frame"),
    (pack([1, 2, 3]), 1002, "frame must be a msgpack map, not list"),
    (pack({"id": "nine", "cmd": "ping"}), 1002, "request 'id' must be an integer"),
    (pack({"cmd": "auth", "api_key": "late"}), 1002, "an auth frame may only be the first"),
    (b"\x82\xa2id\x09\xa3cmd" + b"\xdb\xff\xff\xff\xff", 1002, "not a msgpack frame"),
    (
        pack({"id": 9, "cmd": "patch", "channel": 1, "patch": nested(100)}),
        1002,
        "nesting deeper than 64 levels",
    ),
]


async def open_replica(client) -> tuple[int, Replica]:
    opened = await client.call("open", path=PATH)
    replica = Replica(NOTEBOOK, client.connection.client_id)
    replica.catch_up(CatchUp.from_wire(NOTEBOOK, opened["catch_up"]))
    return opened["channel"], replica


async def edit(client, channel: int, replica: Replica, text: str) -> dict:
    key = next(k for k in replica.value if k[0] == "cell")
    value = dict(replica.value)
    value[key] = {**value[key], "input": text}
    return await client.call("patch", channel=channel, patch=replica.commit(value).to_wire())


async def seen_by(client, channel: int, replica: Replica, seq: int) -> None:
    while replica.confirmed_seq < seq:
        body = await client.channel_message(channel)
        if "record" in body:
            replica.receive(LogRecord.from_wire(NOTEBOOK, body["record"]))


async def closed(client) -> tuple[int, str]:
    """The close code and reason, past what was pushed before it (presence, records)."""
    while (message := await client.ws.receive(5)).type is aiohttp.WSMsgType.BINARY:
        pass
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    return client.ws.close_code, message.extra or ""


async def test_bad_clients_are_closed_and_good_ones_keep_working(
    served, bare_client, stored_log, until
):
    notebook = served.project.directory / PATH
    alice, bob = await bare_client(), await bare_client()
    alice_channel, alice_replica = await open_replica(alice)
    bob_channel, bob_replica = await open_replica(bob)
    first = await edit(alice, alice_channel, alice_replica, "saved = 1")
    await seen_by(bob, bob_channel, bob_replica, first["seq"])
    await until(lambda: "saved = 1" in notebook.read_text())
    seq = stored_log(PATH).seq

    bad = await asyncio.gather(*(bare_client() for _ in BAD))
    for client in bad:
        await open_replica(client)  # subscribed to the notebook, as alice and bob are
    for client, (data, _, _) in zip(bad, BAD, strict=True):
        await (client.ws.send_str(data) if isinstance(data, str) else client.ws.send_bytes(data))
    # alice edits while the bad clients are being closed
    second = await edit(alice, alice_channel, alice_replica, "saved = 1\nmore = 2")
    closes = await asyncio.gather(*(closed(client) for client in bad))
    for (code, reason), (data, want_code, words) in zip(closes, BAD, strict=True):
        assert code == want_code, (data, reason)
        assert words in reason, (data, reason)

    await seen_by(bob, bob_channel, bob_replica, second["seq"])
    assert second["seq"] == seq + 1  # nothing of the bad clients in between
    cell = next(r for k, r in bob_replica.value.items() if k[0] == "cell")
    assert cell["input"] == "saved = 1\nmore = 2"
    await until(lambda: "more = 2" in notebook.read_text())


async def test_an_invalid_patch_is_refused_and_changes_nothing(
    served, bare_client, stored_log, until
):
    notebook = served.project.directory / PATH
    alice, mallory = await bare_client(), await bare_client()
    channel, replica = await open_replica(alice)
    await edit(alice, channel, replica, "kept = 1")
    await until(lambda: "kept = 1" in notebook.read_text())
    on_disk, seq = notebook.read_bytes(), stored_log(PATH).seq

    bad_channel, _ = await open_replica(mallory)
    key = next(k for k in replica.value if k[0] == "cell")
    cell = {"type": key[0], "id": key[1]}
    invalid = [
        ([1, [{**cell, "input": [[[[7, "x"]], 0, 0, 0, 0]]}]], "a diff is [op, text]"),
        ([1, [{**cell, "input": {"not": "text"}}]], "a string column takes a str"),
        ([1, [{"type": "cell"}]], "primary-key field 'id' is missing"),
        ([-1, [{**cell, "input": "x"}]], "a delete names exactly the primary-key fields"),
        ([1, [{**cell, "exec_count": 2**64 - 1, "pos": [[[]] * 2] * 2}], 1, []], "expected -1"),
        ({"not": "a patch"}, "expected a list"),
    ]
    for patch, words in invalid:
        wire = {"client_id": mallory.connection.client_id, "local_number": 1, "patch": patch}
        failure = await mallory.fails("patch", channel=bad_channel, patch=wire)
        assert failure.code == "bad_request"
        assert words in failure.message, failure.message
    # an invalid patch is one failed request: the connection stays, the document does not move
    assert (await mallory.call("ping"))["server_time"] > 0
    assert stored_log(PATH).seq == seq
    await mallory.call("close", channel=bad_channel)
    assert notebook.read_bytes() == on_disk
    assert (await edit(alice, channel, replica, "kept = 1\nnext = 2"))["seq"] == seq + 1
