"""Time to first page of the web application, and how long its pages take to render.

`interchange serve` is started as a steward would start it (a new process on the workspace), and
the clock runs from the process's start to the first `200` of the login page: imports, the
workspace's config, the warehouse's schema check, the server listening. Then one steward session
asks for each page in `PAGES` `--repeat` times over HTTP; the median and the slowest are printed.

Without `--workspace` a new Kretinga workspace is made in a temporary folder (an empty warehouse:
the figures are the application's own cost); with it, the pages of an existing workspace are
timed (e.g. the national-size warehouse of `interchange demo --scale national`). A steward
account `bench.steward` is added to the workspace if it has none of that name.

    .venv/bin/python benchmarks/web_pages.py [--workspace DIR] [--starts 3] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from interchange.warehouse.engine import warehouse
from interchange.web.accounts import AccountError, Role, add_user
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

LOGIN, PASSWORD = "bench.steward", "benchmark password"
INTERCHANGE = Path(sys.executable).with_name("interchange")
# Pages a steward opens; the steward console adds its status and review pages here.
PAGES = ["/steward/", "/partner/{org}/", "/partner/{org}/drops", "/partner/{org}/quarantine",
         "/partner/{org}/expected", "/ministry/"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def time_to_first_page(root: Path) -> float:
    """Seconds from starting `interchange serve` to the first 200 of /login; the server is stopped after."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([str(INTERCHANGE), "serve", "--workspace", str(root), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"interchange serve exited with {server.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > 120:
                raise SystemExit("no page within 120 s")
            time.sleep(0.01)
    finally:
        server.terminate()
        server.wait(timeout=30)


def page_times(root: Path, paths: list[str], repeat: int) -> dict[str, list[float]]:
    """Seconds per request of each path, for one logged-in steward, on a server started for it."""
    port = free_port()
    server = subprocess.Popen([str(INTERCHANGE), "serve", "--workspace", str(root), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    form = client.get("/login")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise SystemExit("no page within 120 s") from None
                    time.sleep(0.05)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed_in = client.post("/login", data={"login": LOGIN, "password": PASSWORD, "csrf_token": token[1]})
            assert signed_in.status_code == 303, signed_in.status_code
            timings: dict[str, list[float]] = {}
            for path in paths:
                for _ in range(repeat):
                    started = time.perf_counter()
                    answer = client.get(path)
                    timings.setdefault(path, []).append(time.perf_counter() - started)
                    assert answer.status_code == 200, (path, answer.status_code)
            return timings
    finally:
        server.terminate()
        server.wait(timeout=30)


def ensure_steward(root: Path) -> None:
    workspace = Workspace(root)
    # An AccountError: the account is there from an earlier run.
    with warehouse(workspace.database_url) as engine, contextlib.suppress(AccountError):
        add_user(engine, LOGIN, Role.STEWARD, PASSWORD)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="an existing workspace (default: a new, empty one)")
    parser.add_argument("--starts", type=int, default=3, help="how many times to start the server")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.workspace.resolve() if args.workspace else init_workspace(Path(scratch) / "hub").root
        ensure_steward(root)
        org = Workspace(root).config.organisations[0].code
        firsts = [time_to_first_page(root) for _ in range(args.starts)]
        print(f"time to first page (interchange serve start -> first 200): "
              f"min {min(firsts):.2f} s, median {statistics.median(firsts):.2f} s over {len(firsts)} starts")
        timings = page_times(root, [p.format(org=org) for p in PAGES], args.repeat)
        for path, seconds in timings.items():
            print(f"  {path:<34} median {statistics.median(seconds) * 1000:7.1f} ms, "
                  f"slowest {max(seconds) * 1000:7.1f} ms ({len(seconds)} requests)")


if __name__ == "__main__":
    main()
