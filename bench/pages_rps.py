"""Throughput for bench/pages.py: gunicorn (2 workers) serving the app and the bare endpoint, 8 client threads.

Both servers run side by side and take turns in rounds; each client thread keeps one connection and opens
it again when gunicorn's sync workers close it. Only 200 answers count as served; the rest are errors.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RPS_ROUNDS = 3


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(target: str, env: dict[str, str]) -> Iterator[int]:
    """`gunicorn -w 2` serving `target` on a free loopback port, stopped afterwards."""
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "warning", target]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {target} did not start: {process.stderr.read().decode()[-2000:]}") from None  # type: ignore[union-attr]
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Load:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, other: Load) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count


def drive(port: int, path: str, headers: dict[str, str], seconds: float, clients: int = 8) -> Load:
    """`clients` threads, each with one connection (re-opened when the server closes it), for `seconds`."""
    load = Load()
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client() -> None:
        ok = errors = 0
        statuses: dict[int, int] = {}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_line.wait()
        while not stop.is_set():
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 200:
                    ok += 1
                else:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
        conn.close()
        with lock:
            load.requests += ok
            load.errors += errors
            for status, count in statuses.items():
                load.statuses[status] = load.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def throughput(database_url: str, secret_key: str, encryption_key: str, cookie: str, seconds: float) -> dict[str, Any]:
    """Requests per second of /queue (with the clerk's session `cookie`) and of the bare endpoint, and their ratio."""
    env = {"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "FIELD_ENCRYPTION_KEY": encryption_key,
           "UPLOAD_FOLDER": str(Path(tempfile.gettempdir()) / "claims-bench-pages-uploads")}  # fmt: skip
    headers = {"Cookie": cookie}
    app_load, bare_load = Load(), Load()
    # Both servers run side by side (the idle one costs nothing) and take turns, in rounds, so that a
    # neighbour's burst of CPU on this shared machine falls on both sides alike.
    with gunicorn("wsgi:app", env) as app_port, gunicorn("bench.bare_app:app", {}) as bare_port:
        drive(app_port, "/queue", headers, min(3.0, seconds))  # warm-up: imports, connections, templates
        drive(bare_port, "/", {}, min(3.0, seconds))
        for _round in range(RPS_ROUNDS):
            app_load.add(drive(app_port, "/queue", headers, seconds / RPS_ROUNDS))
            bare_load.add(drive(bare_port, "/", {}, seconds / RPS_ROUNDS))
    for label, load in (("app /queue as clerk", app_load), ("bare endpoint", bare_load)):
        log(f"  {label:<22} {load.rps:8.1f} requests/s over {load.seconds:.1f} s, {load.errors} errors {load.statuses}")
    return {"app_rps": round(app_load.rps, 1), "bare_rps": round(bare_load.rps, 1), "errors": app_load.errors + bare_load.errors,
            "ratio": round(app_load.rps / bare_load.rps, 3) if bare_load.rps else None}  # fmt: skip
