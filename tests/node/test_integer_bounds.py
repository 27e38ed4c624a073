"""Every integer path and query parameter of every GET endpoint, of the node's API and of the explorer, read
from the app's own OpenAPI schema: values past SQLite's int64 range (or the parameter's tighter bounds) are a 422,
never a 500. Real servers over HTTP, real (empty) SQLite databases."""
from __future__ import annotations

import httpx
import pytest

from node.api.app import create_app as node_app
from node.api.context import NodeContext
from node.api.server import BackgroundServer
from node.artifact_store import ArtifactStore
from node.audit.db import open_db
from node.explorer.app import create_app as explorer_app
from node.state import NodeState

VALUES = [2**63 - 1, 2**63, 2**64, -1, -(2**63) - 1, 10**20]


def integer_schema(schema: dict) -> dict | None:
    """The integer branch of a parameter schema (`int | None` is anyOf integer/null), or None."""
    for branch in [schema, *schema.get("anyOf", [])]:
        if branch.get("type") == "integer":
            return branch
    return None


def integer_parameters(app) -> list[tuple[str, str, str, dict]]:
    """(path template, parameter name, 'path' or 'query', integer schema) for each GET endpoint."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = integer_schema(parameter["schema"])
            if schema is not None:
                found.append((path, parameter["name"], parameter["in"], schema))
    return found


def request_path(template: str, name: str, where: str, value: int, all_params) -> str:
    path = template
    for other_path, other, other_where, _ in all_params:  # other path parameters: a valid value
        if other_path == template and other_where == "path" and other != name:
            path = path.replace("{" + other + "}", "1")
    if where == "path":
        return path.replace("{" + name + "}", str(value))
    return f"{path}?{name}={value}"


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("apps")
    context = NodeContext(role="worker", address="0x" + "11" * 20, chain_id=31337, ledger_address="0x" + "22" * 20,
                          store=ArtifactStore(tmp / "artifacts"), state=NodeState(tmp / "node.db"))
    open_db(tmp / "audit.db").conn.close()  # the schema the audit creates, with no rows: enough to serve
    servers = {"node": node_app(context), "explorer": explorer_app(tmp / "audit.db")}
    running = {name: BackgroundServer(app).start() for name, app in servers.items()}
    yield {name: (servers[name], running[name].url) for name in servers}
    for server in running.values():
        server.stop()


@pytest.mark.parametrize("which", ["node", "explorer"])
def test_out_of_range_integers_are_refused_never_500(apps, which):
    # The node's API answers 422; the explorer's HTML pages a 404 page for an id that names nothing, a 400 page for
    # a bad query value (its /api/ answers 422): each a client error, never a 500 or a page served for it.
    app, url = apps[which]
    params = integer_parameters(app)
    assert params, f"the {which} app has no integer parameters: the schema walk found nothing to check"
    failures = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for template, name, where, schema in params:
            if "minimum" not in schema or "maximum" not in schema:
                failures.append(f"{template} {name}: integer parameter without minimum and maximum")
            # Undeclared bounds are judged against SQLite's int64 range, what any query can take.
            low, high = schema.get("minimum", -(2**63)), schema.get("maximum", 2**63 - 1)
            for value in VALUES:
                path = request_path(template, name, where, value, params)
                try:
                    status = client.get(path).status_code
                except httpx.TransportError as exc:  # what an unhandled OverflowError becomes on the wire
                    failures.append(f"GET {path}: no response ({type(exc).__name__})")
                    continue
                refused = status == 422 if which == "node" else status in (400, 404, 422)
                if status == 500 or (not low <= value <= high and not refused):
                    failures.append(f"GET {path}: {status} (range {low}..{high})")
    assert not failures, "\n".join(failures)


def test_the_walk_covers_the_known_integer_parameters(apps):
    node = {(p, n) for p, n, _, _ in integer_parameters(apps["node"][0])}
    explorer = {(p, n) for p, n, _, _ in integer_parameters(apps["explorer"][0])}
    assert {("/claims", "job_id"), ("/claims", "limit"), ("/rounds", "job_id")} <= node
    # (v1's /api/jobs/{job_id}/metrics went with v1's head metrics: the v2 audit fetches no artifacts)
    assert {("/claim/{claim_id}", "claim_id"), ("/api/jobs/{job_id}/heads", "job_id"),
            ("/disputes/{dispute_id}", "dispute_id"), ("/proposals/{proposal_id}", "proposal_id")} <= explorer
