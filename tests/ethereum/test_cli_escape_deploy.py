"""``darkmatch chain deploy --ledger`` for a ledger whose genesis registers encryption keys.

Three validator nodes (homes made by ``darkmatch validator init``, each with
its own ``eth.key``) serve HTTP in threads.  ``chain deploy --ledger`` reads
their addresses and deploys Escape with the encrypted 2 × 2 layout, the
genesis keys and an exit verifier made from ``--exit-ptau``; without
``--exit-ptau`` it is a one-line error and nothing is written.  Then
``darkmatch operator batch --rpc`` (an operator home made by ``operator
init``, which picks the encrypted circuit for this genesis) proves a real
encrypted block, the nodes check and finalize it and sign its anchor hash with
their Ethereum keys, and the operator settles it on the deployed Escape, which
publishes both accounts' openings.
"""

import json
import threading
import warnings

import pytest
from werkzeug.serving import make_server

from circuits.settlement_cipher import cipher_names
from circuits.settlement_data import MarketParams, public_names
from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.cli.account import load_account, load_encryption_public
from ledger.cli.main import main as cli_main
from ledger.core import keys
from ledger.core.genesis import (
    Genesis, GenesisAccount, GenesisMarket, GenesisValidator, genesis_to_json,
)
from ledger.ethereum.config import load_deployment
from ledger.ethereum.deploy import at
from ledger.node.server import create_app
from ledger.node.service import Node
from prover import dev_srs, export_ptau

PARAMS = MarketParams(market_id=0, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("escape-deploy")
    accounts = []
    for a in (1, 2):
        assert cli_main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
        _, aid, pub = load_account(root / f"t{a}")
        accounts.append(GenesisAccount(aid, pub, 1_000_000, None,
                                       load_encryption_public(root / f"t{a}")))
    vkeys = {f"v{i}": keys.generate() for i in range(3)}
    genesis = Genesis("escape-deploy", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      accounts)
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_ptau(dev_srs(11), root / "exit.ptau")
    assert cli_main(["operator", "init", "--home", str(root / "op"), "--genesis",
                     str(root / "genesis.json"), "--slots", "2"]) == 0
    vk = json.loads((root / "op" / "verification_key.json").read_text())
    assert vk["nPublic"] == len(public_names(2, 2) + cipher_names(2))     # the encrypted circuit
    (root / "vk.json").write_text(json.dumps(vk))
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
    try:
        yield dict(root=root, urls=urls, nodes=nodes, genesis=genesis)
    finally:
        for s in servers:
            s.shutdown()
        for n in nodes:
            n.close()


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
    assert int(f.refusalVerifier().call(), 16) != 0 and f.lastMm().call() == PARAMS.mm_bps
    for acct in net["genesis"].accounts:
        assert (f.keyX(acct.account_id).call(), f.keyY(acct.account_id).call()) == \
            tuple(acct.encryption_key)
    # a real encrypted block through the operator's command: proven, finalized by the nodes,
    # signed with their eth.key, settled on Escape
    for a, side in ((1, "buy"), (2, "sell")):
        assert cli_main(["order", "new", "--account-dir", str(root / f"t{a}"), "--market", "0",
                         "--side", side, "--price", "100", "--size", "3", "--out",
                         str(root / "orders"), "--genesis", str(root / "genesis.json")]) == 0
    capsys.readouterr()
    rc = cli_main(["operator", "batch", "--home", str(root / "op"), "--orders",
                   str(root / "orders"), "--rpc", rpc, "--deployment", str(root / "dep.json"),
                   *[x for u in net["urls"] for x in ("--validator", u)]])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "FINAL: block 1" in out and "SETTLED on-chain: block 1" in out
    assert f.height().call() == 1
    store = net["nodes"][0].store
    assert [f.commitmentOf(a).call() for a in (1, 2)] == \
        [store.account_commitment(a) for a in (1, 2)]
    logs = escape.events.OpeningPublished().get_logs(from_block=0)
    cts = store.get_block(1).ciphertexts()
    assert sorted(e.args.account for e in logs) == [1, 2]
    for e in logs:
        assert tuple(e.args.ciphertext) == tuple(cts[e.args.account].ciphertext)
