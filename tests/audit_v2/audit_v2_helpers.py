"""Helpers of the v2 audit tests (a module of its own: `conftest` is not a unique module name in this suite): the
audit's options, `gradchain audit` run in-process, the audit database's rows, and a faulty RPC proxy."""
from __future__ import annotations

import http.server
import json
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import typer
from typer.testing import CliRunner

from node.audit.run import AuditOptions
from node.commands.audit import audit_command


def audit_options(history, db: Path, **kw) -> AuditOptions:
    """The audit of the whole scenario, chain-only (no artifacts are served), to one block behind the head."""
    return AuditOptions(home=history.home, db_path=db, artifacts=False,
                        to_block=history.ledger.w3.eth.block_number - 1, **kw)


_app = typer.Typer()
_app.command("audit")(audit_command)
_app.command("other")(lambda: None)  # two commands: typer keeps "audit" as a subcommand name


def audit_cli(home: Path, db: Path, *args: str, rpc: str | None = None):
    """`gradchain audit --json` in this process; returns (result, report or None)."""
    argv = ["audit", "--home", str(home), "--db", str(db), "--json", *args]
    if rpc:
        argv += ["--rpc", rpc]
    result = CliRunner().invoke(_app, argv, catch_exceptions=False)
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def db_rows(db: Path, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultyRpcProxy:
    """Forwards JSON-RPC to anvil; after `healthy_requests` requests it drops connections or stalls them."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.mode = "ok"  # ok | drop | hang
        self.healthy_requests: int | None = None
        self.requests = 0
        self._client = httpx.Client(timeout=30)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else header and body writes wait on delayed ACKs: 40 ms a request

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                proxy.requests += 1
                failing = proxy.mode != "ok" and proxy.healthy_requests is not None \
                    and proxy.requests > proxy.healthy_requests
                if failing and proxy.mode == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)  # no answer at all: the client sees the connection drop
                    return
                if failing and proxy.mode == "hang":
                    time.sleep(3)  # longer than the audit's --rpc-timeout
                    return
                answer = proxy._client.post(proxy.upstream, content=body, headers={"content-type": "application/json"})
                self.send_response(answer.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_after(self, requests: int, mode: str) -> None:
        self.requests, self.healthy_requests, self.mode = 0, requests, mode

    def heal(self) -> None:
        self.mode = "ok"

    def close(self) -> None:
        self.server.shutdown()
        self._client.close()
