"""The node's JSON-RPC wire (node/chain/transport.py) and the follower's batched reads (node/chain/raw_reads.py).

Real anvil and a deployed LedgerV2; the stale-connection case uses a real HTTP server that closes each kept-alive
connection after answering, as a server with a short idle time-out does.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eth_utils import keccak

from node.api.server import free_port
from node.chain.anvil import Anvil
from node.chain.client import connect
from node.chain.devaccounts import dev_account
from node.chain.raw_reads import RawReads
from node.chain.transport import ChainUnreachable, RpcError, RpcTransport
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.terms import JobTermsV2
from node.chain.v2.views import Role
from node.follower import EventFollower
from node.state import NodeState

ETH = 10**18


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    anvil = Anvil(log_path=tmp_path_factory.mktemp("anvil") / "anvil.log")
    anvil.start()
    try:
        w3 = connect(anvil.url)
        ledger, receipt = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=5, seat_stake_wei=ETH // 2)
        yield w3, ledger, receipt["blockNumber"]
    finally:
        anvil.stop()


def mine(w3, blocks: int = 1) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])


def test_raw_logs_decode_exactly_as_web3s_get_logs(chain):
    w3, ledger, deployed = chain
    params = JobTermsV2(committee_size=1, quorum=1).params(keccak(b"spec"), keccak(b"genesis"), 10).as_tuple()
    ledger.send(dev_account(0), "createJob", params, value=ETH)
    for i in (1, 2):
        ledger.send(dev_account(i), "stake", Role.WORKER, value=ETH)
    last = w3.eth.block_number
    reads = RawReads.of(w3, ledger.address)
    from_web3 = ledger.events(deployed, last)
    from_raw = ledger.decode_raw_logs(reads.logs(deployed, last))
    assert [e["event"] for e in from_web3] == [e["event"] for e in from_raw]
    assert {"JobCreated", "Staked"} <= {e["event"] for e in from_raw}
    assert [dict(e) for e in from_raw] == [dict(e) for e in from_web3]


def test_a_follower_applies_one_new_block_from_one_post_and_pages_the_rest(chain, tmp_path):
    w3, ledger, deployed = chain
    posts = []
    follower = EventFollower(NodeState(tmp_path / "node.db"), ledger, deployed, confirmations=1)
    follower.anchor(deployed)
    transport = follower.reads.transport
    post = transport.post
    transport.post = lambda body: (posts.append(json.loads(body)), post(body))[1]
    try:
        mine(w3)  # what the test before sent is confirmed: the first poll reads it all
        follower.poll()  # catches up: the probe, then pages
        assert follower.cursor == w3.eth.block_number - 1
        caught_up = len(posts)
        ledger.send(dev_account(3), "stake", Role.WORKER, value=ETH)  # a block with an event
        posts.clear()
        assert follower.poll() == [] and len(posts) == 1  # the block before it is confirmed now: one POST
        mine(w3)  # and the stake's block is confirmed
        posts.clear()
        events = follower.poll()
        assert [e["name"] for e in events] == ["Staked"] and events[0]["args"]["account"] == dev_account(3).address
        assert len(posts) == 1, f"one new block should cost one POST, it cost {len(posts)}"
        assert [call["method"] for call in posts[0]] == ["eth_blockNumber", "eth_getBlockByNumber",
                                                         "eth_getBlockByNumber", "eth_getLogs"]
        posts.clear()
        assert follower.poll() == [] and len(posts) == 1  # nothing new: one POST too
        mine(w3, 5)
        latest = w3.eth.block_number
        posts.clear()
        assert follower.poll() == [] and follower.cursor == latest - 1
        assert len(posts) == 3 and caught_up >= 1  # several new blocks: the probe, the page end, its logs
    finally:
        transport.post = post


def test_a_batch_names_the_call_that_failed_and_tolerates_the_optional_ones(chain):
    w3, _, _ = chain
    transport = RpcTransport(w3.provider.endpoint_uri)
    future = hex(w3.eth.block_number + 100)
    latest, logs = transport.batch([("eth_blockNumber", []), ("eth_getLogs", [{"fromBlock": future,
                                                                               "toBlock": future}])],
                                   optional=frozenset({1}))
    assert int(latest, 16) >= 1 and logs is None
    with pytest.raises(RpcError, match="eth_getLogs"):
        transport.batch([("eth_getLogs", [{"fromBlock": future, "toBlock": future}])])


class ClosingHandler(BaseHTTPRequestHandler):
    """Answers eth_blockNumber over HTTP/1.1, then closes the connection without saying so."""
    protocol_version = "HTTP/1.1"
    answered = 0

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ClosingHandler.answered += 1
        out = json.dumps([{"jsonrpc": "2.0", "id": c["id"], "result": hex(ClosingHandler.answered)}
                          for c in body]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_connection_the_server_closed_while_idle_is_reopened_and_the_request_sent_once_more():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), ClosingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        transport = RpcTransport(f"http://127.0.0.1:{server.server_address[1]}")
        answers = [transport.batch([("eth_blockNumber", [])])[0] for _ in range(3)]
        assert answers == ["0x1", "0x2", "0x3"]  # each request answered once: no duplicate, none lost
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_listening_is_chain_unreachable_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainUnreachable, match=f"cannot reach the chain at {url}") as info:
        RpcTransport(url).batch([("eth_blockNumber", [])])
    assert info.value.url == url and isinstance(info.value, OSError)  # a node's loop keeps its state and retries


def test_a_url_that_is_not_http_is_refused_by_name():
    with pytest.raises(ValueError, match="ws://127.0.0.1:8545"):
        RpcTransport("ws://127.0.0.1:8545")
