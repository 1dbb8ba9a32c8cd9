"""WebSocketFS from CPython: RemoteFiles and the FUSE mount against the raw websocket.

A project server runs as a process of its own (`cocalc-compute serve`, localhost). Measured:

- sequential write and read of a 64 MiB file through RemoteFiles (1 MiB writes and reads;
  the read starts with an empty cache), beside the raw throughput between the same client
  and server in the same run: the same bytes as 1 MiB WRITE (and READ) packets, encoded
  beforehand, sent straight on the socket, as many in flight (4, 16 or 64) as writes
  fastest; raw and ours alternate, 7 pairs, and the ratio is the median of the pairs'
  (ours / raw; target >= 0.5);
- stat latency (median) through RemoteFiles and through the FUSE mount (os.stat): cached
  (one file again and again, within the expiry) and uncached (2,000 files no cache has
  seen, each once: one server round trip each); targets 20 us / 1 ms;
- os.walk over 10,000 files (100 folders of 100) on a fresh mount (target 2 s), beside
  the same walk on the local disk.

    .venv/bin/python bench/websocketfs_files.py [--json PATH] [--no-mount]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cocalc_compute_wasm.client.config import resolve_config
from cocalc_compute_wasm.client.files_link import FilesLink
from cocalc_compute_wasm.mount.mountpoint import is_mounted, unmount
from cocalc_compute_wasm.websocketfs import packets as p
from cocalc_compute_wasm.websocketfs.remote import RemoteFiles

MiB = 1024 * 1024
SIZE = 64 * MiB
COMMAND = [sys.executable, "-m", "cocalc_compute_wasm.cli"]
WINDOWS = (4, 16, 64)  # raw packets in flight
PAIRS = 7  # raw and ours, one after the other


def serve(directory: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    server = subprocess.Popen(
        [*COMMAND, "serve", str(directory), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    ready = json.loads(server.stdout.readline())
    env = {
        "API_SERVER": ready["url"].rstrip("/"),
        "PROJECT_ID": ready["project_id"],
        "API_KEY": ready["api_key"],
    }
    return server, env


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class Raw:
    """64 MiB as 1 MiB WRITE packets, then READ packets, pre-encoded, straight on a link
    of its own, `window` packets per exchange."""

    def __init__(self, link: FilesLink) -> None:
        self.link = link
        ids = iter(range(1, 1 << 30))
        [version] = link([p.encode_packet(p.Init(3))])
        assert isinstance(p.decode_packet(version), p.Version)
        flags = p.OpenFlags.READ | p.OpenFlags.WRITE | p.OpenFlags.CREAT | p.OpenFlags.TRUNC
        [opened] = link([p.encode_packet(p.Open(next(ids), "raw.bin", flags, p.Attrs()))])
        handle = p.decode_packet(opened).handle
        block = os.urandom(MiB)
        offsets = range(0, SIZE, MiB)
        self.writes = [p.encode_packet(p.Write(next(ids), handle, o, block)) for o in offsets]
        self.reads = [p.encode_packet(p.Read(next(ids), handle, o, MiB)) for o in offsets]

    def send(self, packets: list[bytes], window: int) -> None:
        for start in range(0, len(packets), window):
            self.link(packets[start : start + window])

    def window(self, packets: list[bytes]) -> int:
        """The strongest baseline: the depth of pipelining that is fastest here."""
        timings = {w: seconds(lambda w=w: self.send(packets, w)) for w in WINDOWS}
        return min(timings, key=timings.__getitem__)


class Ours:
    """The same 64 MiB through RemoteFiles: 1 MiB writes, then 1 MiB reads from an
    empty cache."""

    def __init__(self, files: RemoteFiles) -> None:
        self.files = files
        self.block = os.urandom(MiB)

    def write(self) -> None:
        handle = self.files.open("ours.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        for offset in range(0, SIZE, MiB):
            self.files.write(handle, offset, self.block)
        self.files.close(handle)

    def read(self) -> None:
        self.files.invalidate()  # every byte comes over the link
        handle = self.files.open("ours.bin", os.O_RDONLY)
        offset = 0
        while data := self.files.read(handle, offset, MiB):
            offset += len(data)
        self.files.close(handle)
        assert offset == SIZE


def throughput(env: dict[str, str]) -> dict:
    """Raw and ours in interleaved pairs, so that the load of the shared CPUs falls on
    both alike: the medians of each and of the pairs' ratios."""
    config = resolve_config(environ=env)
    raw_link, our_link = FilesLink(config), FilesLink(config)
    raw, ours = Raw(raw_link), Ours(RemoteFiles(our_link))
    result: dict = {}
    for kind, packets, our_run in (
        ("write", raw.writes, ours.write),
        ("read", raw.reads, ours.read),
    ):
        window = raw.window(packets)
        pairs = []
        for _ in range(PAIRS):
            raw_s = seconds(lambda packets=packets, window=window: raw.send(packets, window))
            pairs.append((raw_s, seconds(our_run)))
        result[kind] = {
            "raw_window": window,
            "raw_MiB_s": SIZE / MiB / statistics.median(r for r, _ in pairs),
            "ours_MiB_s": SIZE / MiB / statistics.median(o for _, o in pairs),
            "ratio": statistics.median(r / o for r, o in pairs),
        }
    raw_link.close()
    our_link.close()
    return result


STATS = 2000  # files stat'ed once each for the uncached figure


def median_us(actions) -> float:
    times = []
    for action in actions:
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def stat_files(project: Path) -> list[str]:
    """Files that no cache has seen: each is stat'ed once (one server round trip)."""
    (project / "stats").mkdir()
    names = [f"stats/f{index:04}" for index in range(STATS)]
    for name in names:
        (project / name).write_bytes(b"x")
    return names


def remote_stat(env: dict[str, str], names: list[str]) -> dict[str, float]:
    link = FilesLink(resolve_config(environ=env))
    files = RemoteFiles(link, expiry=60.0)
    files.stat("stat.txt")
    cached = median_us([lambda: files.stat("stat.txt")] * STATS)
    uncached = median_us([lambda name=name: files.stat(name) for name in names])
    link.close()
    return {"cached": cached, "uncached": uncached}


class Mount:
    def __init__(self, env: dict[str, str], directory: Path, expiry: float) -> None:
        self.directory = directory
        directory.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [*COMMAND, "mount", str(directory), "--expiry", str(expiry)],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if self.process.stdout.readline().strip() != "mounted":
            raise SystemExit(f"the mount at {directory} failed")

    def __enter__(self) -> Path:
        return self.directory

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)
        if is_mounted(self.directory):
            unmount(self.directory)


def mount_stat(env: dict[str, str], scratch: Path, names: list[str]) -> dict[str, float]:
    with Mount(env, scratch / "stat", 60.0) as directory:
        target = str(directory / "stat.txt")
        os.stat(target)
        os.stat(directory / "stats")
        cached = median_us([lambda: os.stat(target)] * STATS)
        uncached = median_us([lambda name=name: os.stat(directory / name) for name in names])
    return {"cached": cached, "uncached": uncached}


def walk_seconds(top: Path) -> tuple[float, int]:
    start = time.perf_counter()
    count = sum(len(files) for _, _, files in os.walk(top))
    return time.perf_counter() - start, count


def walk(env: dict[str, str], project: Path, scratch: Path) -> dict[str, float]:
    tree = project / "tree"
    for folder in range(100):
        (tree / f"d{folder:03}").mkdir(parents=True)
        for index in range(100):
            (tree / f"d{folder:03}" / f"f{index:03}.txt").write_bytes(b"x")
    local_s, count = walk_seconds(tree)
    with Mount(env, scratch / "walk", 1.0) as directory:
        mount_s, mounted_count = walk_seconds(directory / "tree")
    assert count == mounted_count == 10_000, (count, mounted_count)
    return {"files": count, "mount_s": mount_s, "local_s": local_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    parser.add_argument("--no-mount", action="store_true", help="skip the FUSE figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        project = scratch / "project"
        project.mkdir()
        (project / "stat.txt").write_text("x")
        names = stat_files(project)
        server, env = serve(project)
        try:
            result = {
                "throughput": throughput(env),
                "stat_us": {"remote_files": remote_stat(env, names)},
            }
            if not args.no_mount:
                result["stat_us"]["mount"] = mount_stat(env, scratch, names)
                result["walk_10000"] = walk(env, project, scratch)
        finally:
            server.terminate()
            server.wait(10)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


def report(result: dict) -> None:
    rows = [
        (f"64 MiB {kind}", f"{speed['ours_MiB_s']:.0f} MiB/s",
         f"raw {speed['raw_MiB_s']:.0f} MiB/s", f"x{speed['ratio']:.2f}", ">= 0.5")
        for kind, speed in ((k, result["throughput"][k]) for k in ("write", "read"))
    ]  # fmt: skip
    for where, stats in result["stat_us"].items():
        for label, target in (("cached", "<= 20 us"), ("uncached", "<= 1000 us")):
            rows.append((f"stat {label} ({where})", f"{stats[label]:.1f} us", "", "", target))
    if "walk_10000" in result:
        walk = result["walk_10000"]
        rows.append(
            ("os.walk 10,000 files (mount)", f"{walk['mount_s']:.2f} s",
             f"local {walk['local_s']:.3f} s", "", "<= 2 s")
        )  # fmt: skip
    header = ("measure", "ours", "baseline", "ratio", "target")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
