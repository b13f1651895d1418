"""``darkmatch chain deploy --ledger`` for a ledger whose genesis registers encryption keys.

Three validator nodes (homes made by ``darkmatch validator init``, each with
its own ``eth.key``) serve HTTP in threads.  ``chain deploy --ledger`` reads
their addresses and deploys Escape with the encrypted 2 × 2 layout, the
genesis keys and an exit verifier made from ``--exit-ptau``; without
``--exit-ptau`` it is a one-line error and nothing is written.  The operator
then proves a real encrypted block, the nodes finalize it and sign its anchor
hash with their Ethereum keys (``GET /anchor/<h>``), and ``OnChain.submit``
settles it on the deployed Escape, which publishes both accounts' openings.
"""

import json
import threading
import warnings

import pytest
from werkzeug.serving import make_server

from circuits.settlement_cipher import cipher_names, settlement_circuit
from circuits.settlement_data import MarketParams, public_names
from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.chain.finality import Quorum
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from ledger.cli.account import load_account, load_encryption_public
from ledger.cli.main import main as cli_main
from ledger.core import keys
from ledger.core.genesis import (
    Genesis, GenesisAccount, GenesisMarket, GenesisValidator, genesis_to_json,
)
from ledger.core.orders import new_order
from ledger.ethereum.config import load_deployment
from ledger.ethereum.deploy import at
from ledger.node.client import NodeClient
from ledger.node.server import create_app
from ledger.node.service import Node
from ledger.operator.engine import Operator
from ledger.operator.onchain import OnChain
from prover import dev_srs, export_ptau, setup

PARAMS = MarketParams(market_id=0, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("escape-deploy")
    signing, accounts = {}, []
    for a in (1, 2):
        assert cli_main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
        key, aid, pub = load_account(root / f"t{a}")
        signing[a] = key
        accounts.append(GenesisAccount(aid, pub, 1_000_000, None,
                                       load_encryption_public(root / f"t{a}")))
    vkeys = {f"v{i}": keys.generate() for i in range(3)}
    genesis = Genesis("escape-deploy", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      accounts)
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pk, vk = setup(settlement_circuit(2, 2, encrypted=True), dev_srs(15))
        export_ptau(dev_srs(11), root / "exit.ptau")
    (root / "vk.json").write_text(json.dumps(vk.to_json()))
    servers, nodes, urls = [], [], []
    for name, k in vkeys.items():
        keys.save_private_key(k, root / f"{name}.pem")
        assert cli_main(["validator", "init", "--home", str(root / name), "--genesis",
                         str(root / "genesis.json"), "--key", str(root / f"{name}.pem"),
                         "--vk", str(root / "vk.json")]) == 0
        node = Node(root / name, log=lambda m: None)
        server = make_server("127.0.0.1", 0, create_app(node), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        nodes.append(node)
        urls.append(f"http://127.0.0.1:{server.server_port}")
    store = Store.open(root / "operator.db")
    store.init_genesis(genesis)
    try:
        yield dict(root=root, urls=urls, store=store, pk=pk, vk=vk, vkeys=vkeys,
                   signing=signing, genesis=genesis)
    finally:
        for s in servers:
            s.shutdown()
        for n in nodes:
            n.close()
        store.close()


def test_chain_deploy_gives_an_encrypted_ledger_escape_and_its_blocks_settle(net, anvil, capsys):
    root, w3 = net["root"], anvil
    rpc = w3.provider.endpoint_uri
    base = ["chain", "deploy", "--rpc", rpc, "--vk", str(root / "vk.json"), "--ledger",
            str(root / "genesis.json"), "--slots", "2", "--out", str(root / "dep.json"),
            *[x for u in net["urls"] for x in ("--validator", u)]]
    capsys.readouterr()
    assert cli_main(base) == 2
    err = capsys.readouterr().err
    assert "needs --exit-ptau" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (root / "dep.json").exists()
    assert cli_main(base + ["--exit-ptau", str(root / "exit.ptau"), "--freeze-after",
                            "600"]) == 0
    assert capsys.readouterr().out.startswith("Escape 0x")
    escape = at(w3, "Escape", load_deployment(root / "dep.json")["settlement"])
    f = escape.functions
    assert f.nPublic().call() == len(public_names(2, 2) + cipher_names(2))
    assert f.freezeAfter().call() == 600 and int(f.exitVerifier().call(), 16) != 0
    for acct in net["genesis"].accounts:
        assert (f.keyX(acct.account_id).call(), f.keyY(acct.account_id).call()) == \
            tuple(acct.encryption_key)
    # a real encrypted block, finalized by the nodes, signed with their eth.key, settled
    op = Operator(net["store"], net["pk"], net["vk"], 2, 2, encrypted=True)
    op.submit(*new_order(net["signing"][1], 1, 0, "buy", 101, 10, 1))
    op.submit(*new_order(net["signing"][2], 2, 0, "sell", 99, 10, 1))
    states = {a.account_id: a.initial_state() for a in net["genesis"].accounts}
    block = op.propose(1, 100, PARAMS, states).block
    q = Quorum(net["store"], net["vk"])
    for k in net["vkeys"].values():
        q.add(Validator(k, net["store"], net["vk"]).attest(block), block)
    q.finalize(block)
    stored = net["store"].get_block(1)
    for url in net["urls"]:
        NodeClient(url, 60).finalize(stored)
    onchain = OnChain(w3, escape, net["store"])
    sigs, errors = onchain.remote_signatures(net["urls"], stored)
    assert errors == {} and len(sigs) == 3
    done = onchain.submit(stored, signatures=sigs)
    assert done.gas > 0 and f.height().call() == 1
    assert [f.commitmentOf(a).call() for a in (1, 2)] == \
        [net["store"].account_commitment(a) for a in (1, 2)]
    assert len(escape.events.OpeningPublished().get_logs(from_block=0)) == 2
