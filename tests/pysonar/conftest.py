"""Fixtures for the client tests: a recording (and disturbing) transport, a scripted proxy."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter


@dataclass
class Rule:
    """What to do to the requests matching METHOD and a path pattern, `times` times."""

    method: str
    path: str
    action: str  # "refuse" | "lose_response" | "before" | "tamper"
    times: int = 1
    callback: Callable | None = None


class DisturbingAdapter(HTTPAdapter):
    """The real requests transport, which records every request and can disturb chosen ones.

    "refuse": fail as if Sonar were unreachable (nothing is sent); "lose_response": send, then
    fail as if the connection dropped before the answer; "before": run a callback, then send;
    "tamper": send, then let a callback rewrite the JSON answer (a broken or hostile Sonar).
    """

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[Rule] = []
        self.sent: list[requests.PreparedRequest] = []

    def _rule_for(self, request: requests.PreparedRequest) -> Rule | None:
        path = urlsplit(request.url).path
        for rule in self.rules:
            if rule.times > 0 and rule.method == request.method and re.search(rule.path, path):
                rule.times -= 1
                return rule
        return None

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        self.sent.append(request)
        rule = self._rule_for(request)
        if rule is not None and rule.action == "refuse":
            raise requests.ConnectionError("Connection refused (disturbed by the test)")
        if rule is not None and rule.action == "before":
            assert rule.callback is not None
            rule.callback()
        response = super().send(request, *args, **kwargs)
        if rule is not None and rule.action == "lose_response":
            raise requests.ConnectionError("Connection reset before the answer (by the test)")
        if rule is not None and rule.action == "tamper":
            assert rule.callback is not None
            response._content = json.dumps(rule.callback(response.json())).encode()
        return response

    def sent_to(self, method: str, path: str) -> list[requests.PreparedRequest]:
        """The requests sent with METHOD to a path matching the pattern."""
        return [
            r for r in self.sent if r.method == method and re.search(path, urlsplit(r.url).path)
        ]


@pytest.fixture
def recording_session() -> tuple[requests.Session, DisturbingAdapter]:
    """A session whose every HTTP request is recorded, then really sent."""
    session = requests.Session()
    adapter = DisturbingAdapter()
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
