"""The sans-IO SFTP v3 codec: exact round trips, and malformed input is a PacketError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.websocketfs import packets as p
from cocalc_compute_wasm.websocketfs.packets import PacketError, decode_packet, encode_packet

u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
blob = st.binary(max_size=64)
pairs = st.lists(st.tuples(text, blob), max_size=3).map(tuple)
attrs = st.builds(
    p.Attrs,
    size=st.none() | u64,
    owner=st.none() | st.tuples(u32, u32),
    permissions=st.none() | u32,
    times=st.none() | st.tuples(u32, u32),
    extended=pairs,
)
names = st.lists(st.builds(p.NameEntry, text, text, attrs), max_size=4).map(tuple)
KNOWN_EXTENSIONS = {"posix-rename@openssh.com", "statvfs@openssh.com"}
packets = st.one_of(
    st.builds(p.Init, u32, pairs),
    st.builds(p.Version, u32, pairs),
    st.builds(p.Open, u32, text, u32, attrs),
    st.builds(p.Close, u32, blob),
    st.builds(p.Read, u32, blob, u64, u32),
    st.builds(p.Write, u32, blob, u64, blob),
    *(st.builds(cls, u32, text) for cls in (p.Lstat, p.Stat, p.Opendir, p.Remove, p.Rmdir)),
    *(st.builds(cls, u32, text) for cls in (p.Realpath, p.Readlink, p.Statvfs)),
    st.builds(p.Fstat, u32, blob),
    st.builds(p.Readdir, u32, blob),
    st.builds(p.Setstat, u32, text, attrs),
    st.builds(p.Fsetstat, u32, blob, attrs),
    st.builds(p.Mkdir, u32, text, attrs),
    *(st.builds(cls, u32, text, text) for cls in (p.Rename, p.PosixRename, p.Symlink)),
    st.builds(p.Extended, u32, text.filter(lambda n: n not in KNOWN_EXTENSIONS), blob),
    st.builds(p.Status, u32, u32, text, text),
    st.builds(p.Handle, u32, blob),
    st.builds(p.Data, u32, blob),
    st.builds(p.Name, u32, names),
    st.builds(p.AttrsReply, u32, attrs),
    st.builds(p.ExtendedReply, u32, blob),
)


@given(packets)
def test_round_trip(packet):
    data = encode_packet(packet)
    assert int.from_bytes(data[:4], "big") == len(data) - 4
    assert decode_packet(data) == packet


@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data):
    with contextlib.suppress(PacketError):
        decode_packet(data)


@given(packets, st.data())
def test_damaged_packets_never_crash(packet, data):
    encoded = bytearray(encode_packet(packet))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    for damaged in (bytes(encoded), bytes(encoded[:cut])):
        with contextlib.suppress(PacketError):
            decode_packet(damaged)


def test_wire_layout_of_a_read():
    assert encode_packet(p.Read(7, b"h", 1, 2)) == (
        b"\x00\x00\x00\x16\x05\x00\x00\x00\x07\x00\x00\x00\x01h"
        b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02"
    )


def test_symlink_is_target_first_as_openssh():
    data = encode_packet(p.Symlink(1, "target", "link"))
    assert data.index(b"target") < data.index(b"link")


def test_known_extensions_decode_to_their_classes():
    raw = encode_packet(p.Extended(3, "statvfs@openssh.com", b"\x00\x00\x00\x01/"))
    assert decode_packet(raw) == p.Statvfs(3, "/")
    reply = p.StatvfsReply(*range(1, 12)).reply(4)
    assert p.StatvfsReply.parse(decode_packet(encode_packet(reply)).data).namemax == 11


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "at least 5 bytes"),
        (b"\x00\x00\x00\x02\x01", "length prefix"),
        (b"\x00\x00\x00\x01\xff", "unknown packet type 255"),
        (b"\x00\x00\x00\x05\x07\x00\x00\x00\x01", "truncated length of path"),
        (b"\x00\x00\x00\x0a\x07\x00\x00\x00\x01\x00\x00\x00\x09a", "truncated path"),
        (b"\x00\x00\x00\x06\x04\x00\x00\x00\x01\x00", "truncated"),
        (b"\x00\x00\x00\x0d\x07\x00\x00\x00\x01\x00\x00\x00\x01aXYZ", "left over"),
        (b"\x00\x00\x00\x0d\x69\x00\x00\x00\x01\x00\x00\x00\x10" + b"\x00" * 4, "flags"),
    ],
)
def test_malformed_is_a_clear_packet_error(data, words):
    with pytest.raises(PacketError, match=words):
        decode_packet(data)
