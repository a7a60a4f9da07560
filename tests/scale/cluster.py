"""Several app nodes and a job worker as real processes on loopback, sharing one PostgreSQL, Redis and object store.

`Cluster.start()` runs each node as `gunicorn wsgi:app` and the worker as `flask jobs work`, with the
environment a production deployment gives them (docs/deploy.md). `Cluster.client()` is a Werkzeug test
client whose requests go over HTTP to whichever node `use()` names, so one user's session (its cookie)
can move from node to node as a load balancer would move it, and the tests' form helpers work unchanged.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from werkzeug.test import Client

ROOT = Path(__file__).resolve().parents[2]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    """Nodes "A", "B", ... and one worker; `client_address` is the address every request claims to come from."""

    env: dict[str, str]
    workdir: Path
    nodes: dict[str, Process] = field(default_factory=dict)
    worker: Process | None = None
    current: str = "A"
    # Each cluster is a new client address: the throttling counters of earlier runs stay in Redis for a while.
    client_address: str = field(default_factory=lambda: f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}")

    def add_node(self, name: str) -> None:
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
        command += ["--no-control-socket", "--timeout", "120", "wsgi:app"]
        self.nodes[name] = Process(name, command, self.workdir / f"node-{name}.log", port)

    def add_worker(self) -> None:
        self.worker = Process("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work"], self.workdir / "worker.log")

    def start(self) -> None:
        for process in [*self.nodes.values(), *([self.worker] if self.worker else [])]:
            handle = open(process.log, "wb")  # noqa: SIM115 - the child keeps it; closed when the child ends
            process.popen = subprocess.Popen(process.command, cwd=ROOT, env={**os.environ, **self.env}, stdout=handle, stderr=subprocess.STDOUT)
            handle.close()
        for node in self.nodes.values():
            self._wait_healthy(node)

    def _wait_healthy(self, node: Process) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert node.popen is not None
            if node.popen.poll() is not None:
                raise AssertionError(f"node {node.name} exited:\n{node.output()[-3000:]}")
            conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise AssertionError(f"node {node.name} did not answer /healthz:\n{node.output()[-3000:]}")

    def stop(self) -> None:
        processes = [p for p in [*self.nodes.values(), self.worker] if p is not None and p.popen is not None]
        for process in processes:
            assert process.popen is not None
            process.popen.terminate()
        for process in processes:
            assert process.popen is not None
            try:
                process.popen.wait(30)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(10)

    def errors(self) -> list[str]:
        """Tracebacks and errors any process logged."""
        found = []
        for process in [*self.nodes.values(), *([self.worker] if self.worker else [])]:
            found += [f"{process.name}: {line}" for line in process.output().splitlines() if "Traceback" in line or " ERROR " in line]
        return found

    def use(self, name: str) -> None:
        """Send the following requests (of every client) to node `name`."""
        assert name in self.nodes
        self.current = name

    def client(self, node: str | None = None) -> FlaskClient:
        """A client with its own cookies; `node` pins it to one node, otherwise it follows `use()`."""
        return Client(Remote(self, node), use_cookies=True)  # type: ignore[return-value]


class Remote:
    """A WSGI app that forwards each request over HTTP to a node and hands back its answer unchanged."""

    def __init__(self, cluster: Cluster, pinned: str | None) -> None:
        self.cluster, self.pinned = cluster, pinned

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        node = self.cluster.nodes[self.pinned or self.cluster.current]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        path = quote(environ.get("PATH_INFO", ""), safe="/%:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
        headers.pop("Host", None)
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["X-Forwarded-For"] = self.cluster.client_address
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=120)
        conn.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        start_response(f"{response.status} {response.reason}", [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP])
        return [data]
