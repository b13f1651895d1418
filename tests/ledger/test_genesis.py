"""ledger.core.genesis: the genesis file's rules, its hash, initial states."""

import copy
import hashlib
import json

import pytest
from ledger_chain import PARAMS, make_genesis

from circuits.settlement_data import AccountState, MarketParams
from ledger.core import keys
from ledger.core.codec import canonical_json
from ledger.core.genesis import (
    Genesis,
    GenesisAccount,
    GenesisError,
    GenesisMarket,
    GenesisValidator,
    genesis_from_json,
    genesis_hash,
    genesis_to_json,
    load_genesis,
)


@pytest.fixture(scope="module")
def gen():
    g, _, _ = make_genesis(n_accounts=3, n_validators=2)
    return g


def _one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


def test_roundtrip_and_file(gen, tmp_path):
    j = genesis_to_json(gen)
    assert genesis_from_json(copy.deepcopy(j)) == gen
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(j, indent=2))
    assert load_genesis(path) == gen
    assert gen.market(0).params == PARAMS and gen.market(0).mark_price == 100
    with pytest.raises(GenesisError):
        gen.market(9)


def test_hash_is_documented_formula(gen):
    j = genesis_to_json(gen)
    expected = hashlib.sha256(b"darkmatch/genesis/v1\x00" + canonical_json(j)).hexdigest()
    assert genesis_hash(gen) == genesis_hash(j) == expected
    # Key order and whitespace in the file do not matter; content does.
    reordered = json.loads(json.dumps(j, sort_keys=False, indent=3))
    assert genesis_hash(reordered) == expected


def test_hash_changes_with_every_part(gen):
    j = genesis_to_json(gen)
    h = genesis_hash(j)
    variants = []
    for path, value in [(("chain_id",), "other"), (("markets", 0, "fee_bps"), 11),
                        (("markets", 0, "mark_price"), 101), (("validators", 0, "stake"), 11),
                        (("accounts", 0, "cash"), 5), (("accounts", 0, "account_id"), 99)]:
        v = copy.deepcopy(j)
        d = v
        for p in path[:-1]:
            d = d[p]
        d[path[-1]] = value
        variants.append(genesis_hash(v))
    assert len(set(variants)) == len(variants) and h not in variants


def test_initial_states_are_public_with_zero_blinding(gen):
    a = gen.accounts[0]
    assert a.initial_state() == AccountState(a.account_id, a.cash, 0, 0)
    assert a.initial_state().commitment() == AccountState(a.account_id, a.cash, 0, 0).commitment()


def _mutations(j):
    pk = keys.public_key_hex(keys.generate())
    m0, v0, a0 = j["markets"][0], j["validators"][0], j["accounts"][0]

    def with_(key, entries):
        return {**j, key: entries}
    yield "missing field 'accounts'", {k: v for k, v in j.items() if k != "accounts"}
    yield "unknown field 'extra'", {**j, "extra": 1}
    yield "kind must be", {**j, "kind": "darkmatch-order"}
    yield "chain_id", {**j, "chain_id": "has space"}
    yield "chain_id", {**j, "chain_id": ""}
    yield "at least one market", with_("markets", [])
    yield "at least one validator", with_("validators", [])
    yield "duplicate market_id", with_("markets", [m0, dict(m0)])
    yield "im_bps = 100 is below mm_bps", with_("markets", [{**m0, "im_bps": 100}])
    yield "fee_bps = 10001 out of range", with_("markets", [{**m0, "fee_bps": 10_001}])
    yield "market_id = 65536 out of range", with_("markets", [{**m0, "market_id": 2**16}])
    yield "mark_price", with_("markets", [{**m0, "mark_price": 0}])
    yield "mark_price", with_("markets", [{**m0, "mark_price": 2**32}])
    yield "missing field 'band_bps'", with_("markets", [{k: v for k, v in m0.items()
                                                         if k != "band_bps"}])
    yield "stake", with_("validators", [{**v0, "stake": 0}])
    yield "stake", with_("validators", [{**v0, "stake": -5}])
    yield "stake", with_("validators", [{**v0, "stake": 1.5}])
    yield "duplicate validator name", with_("validators", [v0, {**v0, "public_key": pk}])
    yield "duplicate validator public key", with_("validators", [v0, {**v0, "name": "w"}])
    yield "64 lowercase hex", with_("validators", [{**v0, "public_key": v0["public_key"].upper()}])
    yield "64 lowercase hex", with_("accounts", [{**a0, "public_key": "00"}])
    yield "duplicate account_id", with_("accounts", [a0, {**a0, "public_key": pk}])
    yield "cash", with_("accounts", [{**a0, "cash": -1}])
    yield "cash", with_("accounts", [{**a0, "cash": 2**80}])
    yield "cash", with_("accounts", [{**a0, "cash": "100"}])
    yield "account_id", with_("accounts", [{**a0, "account_id": 2**40}])
    yield "unknown field 'position'", with_("accounts", [{**a0, "position": 0}])
    yield "total validator stake", with_("validators", [
        {**v0, "stake": 2**62 - 1}, {"name": "b", "stake": 2**62 - 1, "public_key": pk},
        {"name": "c", "stake": 2, "public_key": keys.public_key_hex(keys.generate())}])
    yield "accounts[0]: unknown market 7", with_("accounts", [{**a0, "market_id": 7}])
    two = [m0, {**m0, "market_id": m0["market_id"] + 1}]
    yield "market_id is needed when the genesis has several markets", {
        **j, "markets": two, "accounts": [{k: v for k, v in a0.items() if k != "market_id"}]}
    yield "markets must be a list", with_("markets", {"0": m0})
    yield "expected a JSON object", ["genesis"]


def test_invalid_genesis_one_line_errors(gen):
    j = genesis_to_json(gen)
    for expected, doc in _mutations(j):
        with pytest.raises(GenesisError) as e:
            genesis_from_json(doc)
        assert expected in _one_line(e), (expected, str(e.value))


def test_shared_account_keys_are_allowed(gen):
    j = genesis_to_json(gen)
    a0 = j["accounts"][0]
    g = genesis_from_json({**j, "accounts": [a0, {**a0, "account_id": 77}]})
    assert [a.account_id for a in g.accounts] == [a0["account_id"], 77]


@pytest.mark.parametrize("content, expected", [
    (None, "not found"), (b"{", "not valid JSON"), (b"\xff\xfe", "not UTF-8"),
    (b"[1, 2]", "expected a JSON object"), (b'{"a": NaN}', "NaN"),
])
def test_load_genesis_file_errors(tmp_path, content, expected):
    path = tmp_path / "genesis.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(GenesisError) as e:
        load_genesis(path)
    assert expected in _one_line(e)


def test_direct_construction_is_validated():
    pk = keys.public_key_hex(keys.generate())
    market = GenesisMarket(MarketParams(1, 10, 5, 0, 100), 50)
    val = GenesisValidator("v", 1, pk)
    assert Genesis("c", [market], [val], [GenesisAccount(1, pk, 0)]).accounts[0].cash == 0
    for bad in [dict(validators=[GenesisValidator("v", 0, pk)]),
                dict(accounts=[GenesisAccount(1, pk, -1)]),
                dict(markets=["not a market"]),
                dict(accounts=[GenesisAccount(1, pk, 1), GenesisAccount(1, pk, 2)])]:
        with pytest.raises(GenesisError):
            Genesis(**{"chain_id": "c", "markets": [market], "validators": [val], **bad})
    with pytest.raises(GenesisError):
        GenesisMarket("params", 5)


def test_account_market_defaults_to_the_only_market(gen):
    j = genesis_to_json(gen)
    bare = {**j, "accounts": [{k: v for k, v in a.items() if k != "market_id"}
                              for a in j["accounts"]]}
    only = j["markets"][0]["market_id"]
    assert {a.market_id for a in genesis_from_json(bare).accounts} == {only}
    assert genesis_hash(bare) == genesis_hash(gen)     # the default is part of what is hashed
    two = {**j, "markets": [j["markets"][0], {**j["markets"][0], "market_id": only + 1}],
           "accounts": [{**a, "market_id": only + 1} for a in j["accounts"]]}
    assert {a.market_id for a in genesis_from_json(two).accounts} == {only + 1}
