"""Convergence: clients edit concurrently, the log orders, the network interleaves, drops
connections and restarts the server; in the end every replica holds the log's value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st
from sync_strategies import KEYS, edit_value, splice, texts

from cocalc_compute_wasm.sync import (
    NOTEBOOK,
    Accepted,
    CatchUp,
    ClientPatch,
    LogRecord,
    NeedResync,
    OutOfOrder,
    Patch,
    PatchLog,
    Replica,
    Snapshot,
)
from cocalc_compute_wasm.sync.data import same


def wire(data: Any) -> Any:
    """Every message crosses msgpack, as it would a websocket."""
    return msgpack.unpackb(msgpack.packb(data))


@dataclass
class Client:
    replica: Replica
    connected: bool = True
    up: list[tuple[str, Any]] = field(default_factory=list)  # to the server, in order
    down: list[tuple[str, Any]] = field(default_factory=list)  # to the client, in order

    def send(self, message: ClientPatch | None) -> None:
        if message is not None and self.connected:
            self.up.append(("patch", wire(message.to_wire())))

    def reconnect(self) -> None:
        """Ask to catch up and resend every pending patch, without waiting for the answer."""
        self.connected = True
        self.up = [("catch_up", self.replica.confirmed_seq)]
        self.up += [("patch", wire(p.to_wire())) for p in self.replica.pending]
        self.down = []


class World:
    def __init__(self, n_clients: int) -> None:
        self.log = PatchLog(NOTEBOOK)
        self.clients = [Client(Replica(NOTEBOOK, f"client{i}")) for i in range(n_clients)]

    def server_step(self, client: Client) -> None:
        kind, data = client.up.pop(0)
        if kind == "catch_up":
            client.down.append(("catch_up", wire(self.log.catch_up(data).to_wire())))
            return
        event = self.log.accept(ClientPatch.from_wire(NOTEBOOK, data))
        assert not isinstance(event, OutOfOrder)
        if isinstance(event, Accepted):
            for c in self.clients:
                if c.connected:
                    c.down.append(("record", wire(event.record.to_wire())))

    def client_step(self, client: Client) -> None:
        kind, data = client.down.pop(0)
        replica = client.replica
        if kind == "record":
            outcomes = [replica.receive(LogRecord.from_wire(NOTEBOOK, data))]
        else:
            outcomes = replica.catch_up(CatchUp.from_wire(NOTEBOOK, data))
        if outcomes and isinstance(outcomes[-1], NeedResync):
            client.up.append(("catch_up", replica.confirmed_seq))

    def restart_server(self) -> None:
        """Reload the log from what a persistence layer would hold; connections drop."""
        base = Snapshot.from_wire(NOTEBOOK, wire(self.log.base.to_wire()))
        tail = [LogRecord.from_wire(NOTEBOOK, wire(r.to_wire())) for r in self.log.tail]
        self.log = PatchLog(NOTEBOOK, base, tail)
        for c in self.clients:
            self.disconnect(c)

    @staticmethod
    def disconnect(client: Client) -> None:
        client.connected = False
        client.up, client.down = [], []

    def settle(self) -> None:
        for c in self.clients:
            if not c.connected:
                c.reconnect()
        while any(c.up or c.down for c in self.clients):
            for c in self.clients:
                while c.up:
                    self.server_step(c)
                while c.down:
                    self.client_step(c)


def direct_patch(data: st.DataObject) -> Patch:
    """A hand-made patch: map merges with None, deleted fields, deleted records."""
    sets = []
    for key in data.draw(st.lists(st.sampled_from(KEYS), max_size=2)):
        change = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "output": st.dictionaries(
                        st.sampled_from("0123"), st.none() | st.integers(0, 3)
                    ),
                    "exec_count": st.none() | st.integers(0, 3),
                    "input": st.none() | st.text(alphabet="ab", max_size=3),
                },
            )
        )
        sets.append({"type": key[0], "id": key[1], **change})
    deletes = data.draw(st.lists(st.sampled_from(KEYS), max_size=1))
    return Patch(NOTEBOOK, deletes=[NOTEBOOK.key_fields(k) for k in deletes], sets=sets)


def type_text(data: st.DataObject, replica: Replica) -> ClientPatch | None:
    """Type into the input of one of two cells: concurrent typing meets often."""
    key = data.draw(st.sampled_from(KEYS[:2]))
    record = replica.value.get(key, {"type": key[0], "id": key[1]})
    text = splice(data, record["input"]) if "input" in record else data.draw(texts)
    return replica.commit({**replica.value, key: {**record, "input": text}})


ACTIONS = ["edit"] * 2 + ["type"] * 3 + ["patch"] + ["server"] * 3 + ["client"] * 3
ACTIONS += ["disconnect", "snapshot", "restart"]


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 3), st.data())
def test_every_replica_converges_to_the_log(n_clients, data):
    world = World(n_clients)
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        action = data.draw(st.sampled_from(ACTIONS))
        client = data.draw(st.sampled_from(world.clients))
        if action == "edit":
            client.send(client.replica.commit(edit_value(data, client.replica.value)))
        elif action == "type":
            client.send(type_text(data, client.replica))
        elif action == "patch":
            client.send(client.replica.change(direct_patch(data)))
        elif action == "server" and client.up:
            world.server_step(client)
        elif action == "client" and client.down:
            world.client_step(client)
        elif action == "disconnect":
            world.disconnect(client) if client.connected else client.reconnect()
        elif action == "snapshot":
            world.log.take_snapshot()
        elif action == "restart":
            world.restart_server()
    world.settle()
    log = world.log
    for c in world.clients:
        assert c.replica.pending == ()
        assert c.replica.confirmed_seq == log.seq
        assert same(c.replica.value, log.value)
        assert same(c.replica.confirmed, log.value)
    assert same(PatchLog(NOTEBOOK, log.base, log.tail).value, log.value)
