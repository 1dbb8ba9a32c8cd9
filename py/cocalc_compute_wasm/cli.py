"""The `cocalc-compute` command: the single entry point of the project."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from . import __version__


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--base-path", default="/", help="URL prefix of every endpoint")
    parser.add_argument(
        "--dist", type=Path, default=None, help="browser build folder (default: build/web)"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import BrowserDist, make_app
    from .server.app import normalize_base_path
    from .server.background import start_site
    from .server.project import Project
    from .server.pyodide_dist import PyodideDist

    dist = BrowserDist.open(args.dist)
    pyodide_dist = PyodideDist.open(args.pyodide_dist, dist) if args.pyodide_dist else None
    project = Project.open(args.project_dir)
    api_key = project.first_start_key(new_key=args.new_key)
    app = make_app(project, dist, args.base_path, pyodide_dist=pyodide_dist)

    async def serve() -> None:
        runner, origin = await start_site(app, args.host, args.port)
        ready = {
            "url": origin + normalize_base_path(args.base_path),
            "project_id": project.project_id,
            "api_key": api_key,
        }
        if args.ready_file:
            args.ready_file.write_text(json.dumps(ready) + "\n")
        print(json.dumps(ready), flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()  # closes connections and saves open notebooks

    asyncio.run(serve())
    project.close()
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from .server import keys
    from .server.project import Project

    project = Project.open(args.project_dir)
    if args.action == "create":
        key, info = keys.create_key(project.db, args.label)
        print(key)
        print(f"key id {info.key_id} for project {project.project_id}", file=sys.stderr)
    elif args.action == "list":
        for info in keys.list_keys(project.db):
            created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.created))
            status = "revoked" if info.revoked else "active"
            print(f"{info.key_id}  {status:<7}  {created}  {info.label}")
    else:
        info = keys.revoke_key(project.db, args.key_id)
        print(f"revoked {info.key_id}")
    return 0


def cmd_wheels(args: argparse.Namespace) -> int:
    from .wheelhouse.download import add_wheels
    from .wheelhouse.folder import Wheelhouse

    wheelhouse = Wheelhouse(args.project_dir)
    if args.action == "add":
        add_wheels(wheelhouse, args.requirements, lambda line: print(line, file=sys.stderr))
    elif args.action == "list":
        for wheel in wheelhouse.wheels():
            print(f"{wheel.name}  {wheel.version}  {wheel.path.name}")
    else:
        for name in args.names:
            for wheel in wheelhouse.remove(name):
                print(f"removed {wheel.path.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return asyncio.run(run_demo(args.dist, args.timeout, native=args.native))


def cmd_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.headless:
        from .headless.worker import run_headless_worker

        return run_headless_worker(args.server, args.project, args.api_key, args.base_path)
    from .worker.native import run_native_worker

    apply_base_path(args)
    if args.mount is None:
        asyncio.run(run_native_worker(args.server, args.project, args.api_key, args.cwd))
        return 0
    from .client.config import resolve_config
    from .mount.service import MountedChild

    config = resolve_config(args.server, args.project, args.api_key, args.base_path)
    directory = args.mount.resolve()
    mounted = MountedChild(directory, config)
    mounted.start()
    try:  # kernels start in the mount; it goes once they are stopped
        asyncio.run(run_native_worker(args.server, args.project, args.api_key, directory))
    finally:
        mounted.stop()
    return 0


def cmd_mount(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from .client.config import resolve_config
    from .mount.service import run_mount

    config = resolve_config(args.server, args.project, args.api_key, args.base_path)
    return run_mount(args.directory.resolve(), config, expiry=args.expiry)


def cmd_run(args: argparse.Namespace) -> int:
    from .client.run_all import run_notebook

    apply_base_path(args)
    return asyncio.run(
        run_notebook(args.notebook, args.server, args.project, args.api_key, args.timeout)
    )


def add_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", help="project server URL (default: $API_SERVER)")
    parser.add_argument("--project", help="project id (default: $PROJECT_ID)")
    parser.add_argument("--api-key", help="API key (default: $API_KEY)")
    parser.add_argument(
        "--base-path", help="URL prefix of the server (default: $BASE_PATH, else /)"
    )


def apply_base_path(args: argparse.Namespace) -> None:
    """Hand --base-path to clients that take the rest as arguments: as $BASE_PATH."""
    if args.base_path is not None:
        os.environ["BASE_PATH"] = args.base_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cocalc-compute",
        description="Lend this machine's (or a browser's) compute to a collaborative notebook.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a project: documents, files, compute page")
    serve.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    add_server_options(serve)
    serve.add_argument("--ready-file", type=Path, help="also write the ready JSON here")
    serve.add_argument("--new-key", action="store_true", help="create and print a new API key")
    serve.add_argument(
        "--pyodide-dist",
        type=Path,
        metavar="DIR",
        help="a full Pyodide distribution (its pyodide-lock.json and packages) whose "
        "packages (numpy, the scientific stack) the browser kernel may install",
    )
    serve.set_defaults(func=cmd_serve)

    keys = commands.add_parser("keys", help="manage the project's API keys")
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="create a key and print it (shown once)")
    create.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    create.add_argument("--label", default="", help="a note to recognise the key by")
    listing = key_actions.add_parser("list", help="list key ids and their status")
    listing.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    revoke = key_actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    revoke.add_argument("key_id", metavar="KEY_ID")
    keys.set_defaults(func=cmd_keys)

    wheels = commands.add_parser(
        "wheels", help="the project's wheelhouse: packages the browser kernel may install"
    )
    wheel_actions = wheels.add_subparsers(dest="action", required=True)
    add = wheel_actions.add_parser(
        "add", help="download browser-ready wheels of packages and their dependencies"
    )
    add.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    add.add_argument("requirements", metavar="NAME[==VERSION]", nargs="+")
    listing = wheel_actions.add_parser("list", help="list the wheelhouse's wheels")
    listing.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    remove = wheel_actions.add_parser("remove", help="remove packages' wheels")
    remove.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    remove.add_argument("names", metavar="NAME", nargs="+")
    wheels.set_defaults(func=cmd_wheels)

    worker = commands.add_parser("worker", help="lend this machine's compute to the project")
    how = worker.add_mutually_exclusive_group(required=True)
    how.add_argument("--native", action="store_true", help="run kernels in this CPython host")
    how.add_argument(
        "--headless",
        action="store_true",
        help="run the browser worker: headless Chromium on the project's compute page",
    )
    add_client_options(worker)
    worker.add_argument(
        "--cwd", type=Path, default=Path.cwd(), help="kernels' working directory (--native)"
    )
    worker.add_argument(
        "--mount",
        type=Path,
        metavar="DIR",
        help="mount the project's files at DIR (FUSE) and start kernels there (--native)",
    )
    worker.set_defaults(func=cmd_worker)

    mount = commands.add_parser(
        "mount", help="mount the project's files at a folder (FUSE over WebSocketFS)"
    )
    mount.add_argument("directory", metavar="DIR", type=Path, help="an empty folder")
    add_client_options(mount)
    mount.add_argument(
        "--expiry",
        type=float,
        default=1.0,
        help="seconds that attributes and listings are trusted (others' changes show after)",
    )
    mount.set_defaults(func=cmd_mount)

    run = commands.add_parser("run", help="run every code cell of a notebook on the runner")
    run.add_argument("notebook", metavar="NOTEBOOK", help="path in the project, e.g. a.ipynb")
    add_client_options(run)
    run.add_argument("--timeout", type=float, default=600.0, help="seconds for the whole run")
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser(
        "demo", help="run a sample notebook end to end on the browser worker (headless Chromium)"
    )
    demo.add_argument("--dist", type=Path, default=None, help="browser build folder")
    demo.add_argument(
        "--timeout", type=float, default=180.0, help="seconds for the boot, and for the run"
    )
    demo.add_argument(
        "--native", action="store_true", help="run the notebook on the native worker instead"
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .client.errors import ClientError
    from .headless import ChromiumError
    from .mount.mountpoint import MountError
    from .server.dist import DistError
    from .server.keys import ApiKeyError
    from .server.store import StoreError
    from .wheelhouse.download import DownloadError
    from .wheelhouse.folder import WheelhouseError
    from .wheelhouse.resolve import RequirementError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (
        DistError,
        ChromiumError,
        StoreError,
        ApiKeyError,
        ClientError,
        MountError,
        DownloadError,
        WheelhouseError,
        RequirementError,
    ) as error:
        print(f"cocalc-compute {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
