"""Pedersen order commitments: generators, packing, commit/open, the in-circuit opening, a proof."""

import hashlib
import random
import warnings

import pytest

from circuits import Circuit, UnsatisfiedError
from circuits import babyjub as bj
from circuits import pedersen as pd

R, L = bj.R, bj.L
ORDER = dict(account=7, market=1, side="buy", price=10_250, size=3, nonce=1)
T8 = bj.mul(bj.GENERATOR, L)                 # order 8


# ------------------------------------------------------- generators, re-derived
def _sqrt_cipolla(n):
    """A square root mod r by Cipolla's algorithm (independent of babyjub.sqrt)."""
    if n == 0:
        return 0
    if pow(n, (R - 1) // 2, R) != 1:
        return None
    t = next(t for t in range(1, 1000) if pow((t * t - n) % R, (R - 1) // 2, R) == R - 1)
    w2 = (t * t - n) % R

    def mul(p, q):
        return ((p[0] * q[0] + p[1] * q[1] * w2) % R, (p[0] * q[1] + p[1] * q[0]) % R)
    acc, base, e = (1, 0), (t, 1), (R + 1) // 2
    while e:
        if e & 1:
            acc = mul(acc, base)
        base, e = mul(base, base), e >> 1
    return acc[0]


def _double(p):
    """Dedicated twisted Edwards doubling (not babyjub.add)."""
    x, y = p
    den = (bj.A * x * x + y * y) % R
    return (2 * x * y * pow(den, -1, R) % R,
            (y * y - bj.A * x * x) * pow((2 - den) % R, -1, R) % R)


def _derive(label):
    counter = 0
    while True:
        y = int.from_bytes(hashlib.sha256(label + counter.to_bytes(4, "big")).digest(), "big") % R
        counter += 1
        x = _sqrt_cipolla((1 - y * y) * pow(bj.A - bj.D * y * y, -1, R) % R)
        if x is None:
            continue
        p = (min(x, R - x), y)
        for _ in range(3):
            p = _double(p)
        if p != (0, 1):
            return p


def test_generators_follow_the_documented_hash_to_curve():
    assert pd.LABEL_G == b"darkmatch/pedersen/G/v1" and pd.LABEL_H == b"darkmatch/pedersen/H/v1"
    assert pd.G == _derive(pd.LABEL_G)
    assert pd.H == _derive(pd.LABEL_H)
    for p in (pd.G, pd.H):
        assert bj.is_on_curve(p) and bj.in_subgroup(p) and not bj.is_small_order(p)
    assert pd.G != pd.H and pd.G != bj.BASE8 and pd.H != bj.BASE8
    assert pd.hash_to_subgroup(b"another label") not in (pd.G, pd.H)


# --------------------------------------------------------------- packing
def test_pack_layout_and_widths():
    assert pd.MESSAGE_BITS == sum(pd.WIDTHS.values()) == 185
    assert 1 << pd.MESSAGE_BITS < L < 1 << pd.RHO_BITS
    assert pd.pack(**ORDER) == 7 + (1 << 40) + (10_250 << 57) + (3 << 89) + (1 << 121)
    top = {f: (1 << pd.WIDTHS[f]) - 1 for f in pd.FIELDS}
    assert pd.pack(**top) == (1 << 185) - 1
    rng = random.Random(5)
    for _ in range(20):
        fields = {f: rng.randrange(1 << pd.WIDTHS[f]) for f in pd.FIELDS}
        assert pd.unpack(pd.pack(**fields)) == fields
    assert pd.pack(**{**ORDER, "side": "sell"}) == pd.pack(**{**ORDER, "side": 1})
    assert pd.pack(**{**ORDER, "side": "buy"}) == pd.pack(**{**ORDER, "side": 0})


@pytest.mark.parametrize("field", pd.FIELDS)
def test_out_of_range_fields_are_named(field):
    for bad in (1 << pd.WIDTHS[field], -1):
        with pytest.raises(ValueError, match=f"^{field} out of range"):
            pd.pack(**{**ORDER, field: bad})
        with pytest.raises(ValueError, match=f"^{field} out of range"):
            pd.commit(**{**ORDER, field: bad})
    for bad in (1.0, True, None):
        with pytest.raises(ValueError, match=f"^{field} must be an integer"):
            pd.pack(**{**ORDER, field: bad})


def test_bad_side_and_rho_and_missing_field():
    with pytest.raises(ValueError, match="side must be 'buy' or 'sell'"):
        pd.pack(**{**ORDER, "side": "hold"})
    for rho in (-1, L, 1.5, True):
        with pytest.raises(ValueError, match="rho"):
            pd.commit_with(rho, **ORDER)
    with pytest.raises(TypeError):
        pd.commit(account=1, market=1, side="buy", price=1, size=1)


# ---------------------------------------------------------- commit / open
def test_commit_opens_with_its_own_opening_only():
    C, rho = pd.commit(**ORDER)
    assert bj.in_subgroup(C) and 0 <= rho < L
    assert C == bj.add(bj.mul(pd.G, pd.pack(**ORDER)), bj.mul(pd.H, rho)) == pd.commit_with(rho, **ORDER)
    assert pd.open(C, rho, **ORDER) is True
    assert pd.open(C, (rho + 1) % L, **ORDER) is False
    for field in pd.FIELDS:
        other = {**ORDER, field: "sell" if field == "side" else ORDER[field] + 1}
        assert pd.open(C, rho, **other) is False, field
    C2, rho2 = pd.commit(**{**ORDER, "price": 10_251})
    assert pd.open(C2, rho2, **ORDER) is False and pd.open(C, rho2, **ORDER) is False


def test_two_commits_of_one_order_differ():
    (C1, r1), (C2, r2) = pd.commit(**ORDER), pd.commit(**ORDER)
    assert r1 != r2 and C1 != C2
    assert pd.open(C1, r1, **ORDER) and pd.open(C2, r2, **ORDER)


def test_blinding_is_uniform_below_l_from_secrets(monkeypatch):
    bounds = []

    def fake(bound):
        bounds.append(bound)
        return bound - 1
    monkeypatch.setattr(pd.secrets, "randbelow", fake)
    C, rho = pd.commit(**ORDER)
    assert bounds == [L] and rho == L - 1 and pd.open(C, rho, **ORDER)


def test_open_rejects_malformed_commitments():
    C, rho = pd.commit(**ORDER)
    with pytest.raises(ValueError, match="not a point"):
        pd.open((C[0], C[1] + 1), rho, **ORDER)
    with pytest.raises(ValueError, match="not a point"):
        pd.open("C", rho, **ORDER)
    for small in (T8, bj.IDENTITY, (0, R - 1)):
        with pytest.raises(ValueError, match="small order"):
            pd.open(small, rho, **ORDER)
    with pytest.raises(ValueError, match="prime-order subgroup"):
        pd.open(bj.add(C, T8), rho, **ORDER)
    with pytest.raises(ValueError, match="rho"):
        pd.open(C, L + rho, **ORDER)
    with pytest.raises(ValueError, match="^price out of range"):
        pd.open(C, rho, **{**ORDER, "price": 1 << 32})


# ------------------------------------------------------------- in-circuit
def _opening_circuit():
    c = Circuit()
    C = (c.public("Cx"), c.public("Cy"))
    fields = {f: c.private(f) for f in pd.FIELDS}
    pd.open_gadget(c, C, rho=c.private("rho"), **fields)
    return c


@pytest.fixture(scope="module")
def opening():
    c = _opening_circuit()
    C, rho = pd.commit(**ORDER)
    good = {"Cx": C[0], "Cy": C[1], "rho": rho, **{**ORDER, "side": 0}}
    return c, c.compile(), good


def _ok(c, cs, assignment):
    try:
        c.check(assignment, cs)
    except UnsatisfiedError:
        return False
    return True


def test_opening_circuit_accepts_the_opening(opening):
    c, cs, good = opening
    assert _ok(c, cs, good)
    C, rho = pd.commit(**{**ORDER, "side": "sell", "nonce": 2**64 - 1, "account": 2**40 - 1})
    assert _ok(c, cs, {"Cx": C[0], "Cy": C[1], "rho": rho, **ORDER,
                       "side": 1, "nonce": 2**64 - 1, "account": 2**40 - 1})


def test_opening_circuit_gate_budget(opening):
    c, cs, _ = opening
    scalar_bits = pd.MESSAGE_BITS + pd.RHO_BITS
    assert (c.n_gates - c.n_public) / scalar_bits <= 7.5, c.n_gates


@pytest.mark.parametrize("change", [
    {"rho": 1}, {"price": 10_251}, {"side": 1}, {"nonce": 2}, {"account": 8}, {"market": 2},
    {"size": 4}, {"Cx": 1},
])
def test_opening_circuit_rejects_a_wrong_opening(opening, change):
    c, cs, good = opening
    bad = {**good, **{k: (good[k] + v) % R if k in ("rho", "Cx") else v for k, v in change.items()}}
    assert not _ok(c, cs, bad)


def test_opening_circuit_range_checks_each_field(opening):
    """price + 2^32 with size − 1 packs to the same m as integers: only the range check stops it."""
    c, cs, good = opening
    alias = {**good, "price": good["price"] + (1 << 32), "size": good["size"] - 1}
    m = sum(alias[f] << pd.OFFSETS[f] for f in pd.FIELDS)
    assert m == pd.pack(**ORDER)
    with pytest.raises(UnsatisfiedError, match="pedersen: order field range"):
        c.check(alias, cs)
    with pytest.raises(UnsatisfiedError, match="pedersen: order field range"):
        c.check({**good, "side": 2}, cs)


def test_opening_circuit_rho_representatives(opening):
    """ρ + l (< 2^251) opens too — the same point, as documented; ρ ≥ 2^251 does not."""
    c, cs, good = opening
    rho = random.Random(1).randrange((1 << pd.RHO_BITS) - L)
    C = pd.commit_with(rho, **ORDER)
    ok = {**good, "Cx": C[0], "Cy": C[1], "rho": rho}
    assert _ok(c, cs, ok) and _ok(c, cs, {**ok, "rho": rho + L})
    with pytest.raises(UnsatisfiedError, match="pedersen: rho bits"):
        c.check({**ok, "rho": rho + (1 << pd.RHO_BITS)}, cs)


def test_opening_circuit_rejects_a_tampered_hint(monkeypatch, opening):
    _, _, good = opening
    honest = bj._quot_y
    monkeypatch.setattr(bj, "_quot_y", lambda u, t: (honest(u, t) + 1) % R)
    c = _opening_circuit()
    with pytest.raises(UnsatisfiedError, match="pedersen"):
        c.check(good)


def test_opening_is_proven_and_verified(opening):
    from prover import prove
    from prover.setup import setup
    from prover.srs import dev_srs
    from verifier import verify

    c, _, good = opening
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(12)
    pk, vk = setup(c, srs)
    proof, public = prove(pk, good)
    assert public == [good["Cx"], good["Cy"]]
    assert verify(vk, public, proof)
    other = pd.commit(**ORDER)[0]
    assert not verify(vk, [other[0], other[1]], proof)
    with pytest.raises(UnsatisfiedError):
        prove(pk, {**good, "price": 10_251})
