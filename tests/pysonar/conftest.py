"""Fixtures for the client tests: a recording transport and a scripted stand-in for a proxy."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from requests.adapters import HTTPAdapter


class RecordingAdapter(HTTPAdapter):
    """The real requests transport, keeping every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        self.sent.append(request)
        return super().send(request, *args, **kwargs)


@pytest.fixture
def recording_session() -> tuple[requests.Session, RecordingAdapter]:
    """A session whose every HTTP request is recorded, then really sent."""
    session = requests.Session()
    adapter = RecordingAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


@dataclass
class ScriptedServer:
    """A plain HTTP server answering each request with the next scripted (status, headers, body).

    It stands in for what sits between a client and Sonar (a load balancer answering 502, a
    rate limiter answering 429), which the real platform cannot be made to produce on demand.
    """

    script: list[tuple[int, dict[str, str], bytes]]
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    state = ScriptedServer(script=[])

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.bodies.append(self.rfile.read(length) if length else b"")
            state.requests.append((self.command, self.path, dict(self.headers)))
            status, headers, body = (
                state.script.pop(0)
                if state.script
                else (200, {"Content-Type": "application/json"}, json.dumps({"ok": True}).encode())
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def json_answer(status: int, body: dict, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One scripted answer with a JSON body."""
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()
