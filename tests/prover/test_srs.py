"""SRS: .ptau loading against snarkjs-made files, rejection of corrupted files, the
dev SRS, export (section 12 byte-identical to snarkjs's), and the SRS kernels vs twins."""

import random
import struct
import warnings

import numpy as np
import pytest

from conftest import VECTORS, run_snarkjs
from prover.kernels import convert, g1
from prover.kernels import srs_kernels as sk
from prover.kernels.twins import srs as twin
from prover.srs import (SRS, DevelopmentSRSWarning, PtauError, dev_srs, export_ptau, load_ptau,
                        read_section, scan_ptau)
from verifier.curve import (G1_GEN, G2_GEN, g1_mul, g1_neg, g2_add, g2_mul, pairing_check)
from verifier.fields import Q_MOD, R_MOD, fr_inv, root_of_unity

D = VECTORS / "ptau"
SNARKJS5 = D / "snarkjs_pot5.ptau"          # snarkjs new + contribute + prepare phase2
KNOWN5 = D / "knowntau_pot5.ptau"           # τ = 1234567891011, prepared by snarkjs
TAU = 1234567891011
R = 1 << 256


# ----------------------------------------------------------------- independent parsing

def sections(data: bytes) -> list:
    """[(id, body)] of a ptau, parsed here without the project's reader."""
    out, pos = [], 12
    while pos < len(data):
        sid, size = struct.unpack_from("<IQ", data, pos)
        out.append((sid, data[pos + 12: pos + 12 + size]))
        pos += 12 + size
    return out


def section(data: bytes, sid: int) -> bytes:
    return dict(sections(data))[sid]


def build(secs, magic=b"ptau", version=1) -> bytes:
    return magic + struct.pack("<II", version, len(secs)) + b"".join(
        struct.pack("<IQ", sid, len(b)) + b for sid, b in secs)


def replace(data: bytes, sid: int, body: bytes) -> bytes:
    return build([(s, body if s == sid else b) for s, b in sections(data)])


def decode(body: bytes) -> list:
    """LE Montgomery → plain ints, by the definition x = x̃·R⁻¹ mod q."""
    return [int.from_bytes(body[i:i + 32], "little") * pow(R, -1, Q_MOD) % Q_MOD
            for i in range(0, len(body), 32)]


def lem(v: int) -> bytes:
    return (v * R % Q_MOD).to_bytes(32, "little")


def g1_points(body: bytes) -> list:
    c = decode(body)
    return [(c[i], c[i + 1]) for i in range(0, len(c), 2)]


def write(tmp_path, data: bytes, name="x.ptau"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


# ----------------------------------------------------------------- loading snarkjs files

def test_snarkjs_file_loads_to_the_points_snarkjs_wrote():
    data = SNARKJS5.read_bytes()
    srs = load_ptau(SNARKJS5, lagrange=False)
    assert (srs.power, srs.g1.shape, srs.development) == (5, (63, 2, 4), False)
    expect = g1_points(section(data, 2))
    assert g1.array_to_points(srs.g1) == expect
    assert all((y * y - x ** 3 - 3) % Q_MOD == 0 for x, y in expect)
    x0, x1, y0, y1 = decode(section(data, 3)[128:256])
    assert srs.g2 == (G2_GEN, ((x0, x1), (y0, y1)))
    # τ-free spot check: e([τ³]₁, [1]₂) = e([τ²]₁, [τ]₂)
    assert pairing_check([(expect[3], G2_GEN), (g1_neg(expect[2]), srs.g2[1])])


def test_known_tau_file_holds_the_powers_of_tau():
    srs = load_ptau(KNOWN5, lagrange=False)
    assert g1.array_to_points(srs.g1) == [g1_mul(G1_GEN, pow(TAU, i, R_MOD)) for i in range(63)]
    assert srs.g2[1] == g2_mul(G2_GEN, TAU)


def test_section_12_of_a_prepared_file_is_checked_and_cached():
    srs = load_ptau(KNOWN5)
    assert sorted(srs.lagrange) == list(range(6))
    for p in (0, 1, 3):
        M, w = 1 << p, root_of_unity(p)
        lag = [sum(pow(w, -i * j, R_MOD) * pow(TAU, j, R_MOD) for j in range(M)) * fr_inv(M)
               for i in range(M)]
        assert g1.array_to_points(srs.lagrange_g1(p)) == [g1_mul(G1_GEN, v) for v in lag]


def test_max_power_keeps_a_prefix():
    full = load_ptau(SNARKJS5, lagrange=False)
    small = load_ptau(SNARKJS5, max_power=3)
    assert small.power == 3 and np.array_equal(small.g1, full.g1[:15])
    assert sorted(small.lagrange) == [0, 1, 2, 3] and small.g2 == full.g2


# ----------------------------------------------------------------- export

@pytest.mark.parametrize("path", [SNARKJS5, KNOWN5], ids=["snarkjs", "knowntau"])
def test_export_section_12_is_byte_identical_to_snarkjs(tmp_path, path):
    srs = load_ptau(path, lagrange=False)
    assert srs.lagrange == {}                         # forces the G1 inverse FFT
    out = tmp_path / "ours.ptau"
    export_ptau(srs, out)
    ours, theirs = out.read_bytes(), path.read_bytes()
    assert [s for s, _ in sections(ours)] == [1, 2, 3, 12]
    assert section(ours, 1) == section(theirs, 1) and section(ours, 2) == section(theirs, 2)
    assert section(ours, 3) == section(theirs, 3)[:256]
    s12 = section(ours, 12)
    assert len(s12) == (2 ** 6 - 1) * 64                  # blocks p = 0..5
    assert s12 == section(theirs, 12)[:len(s12)]
    assert np.array_equal(load_ptau(out).g1, srs.g1)


def test_snarkjs_plonk_setup_accepts_our_exports(tmp_path, snarkjs):
    r1cs = D / "circuit.r1cs"
    ours = tmp_path / "ours.ptau"
    export_ptau(load_ptau(SNARKJS5, lagrange=False), ours)
    vks = []
    for name, ptau in (("ours", ours), ("theirs", SNARKJS5)):
        zkey, vk = tmp_path / f"{name}.zkey", tmp_path / f"{name}.json"
        rc, out = run_snarkjs(snarkjs, "plonk", "setup", r1cs, ptau, zkey)
        assert rc == 0 and zkey.stat().st_size > 0, out
        rc, out = run_snarkjs(snarkjs, "zkey", "export", "verificationkey", zkey, vk)
        assert rc == 0, out
        vks.append(vk.read_text())
    assert vks[0] == vks[1]                               # same vk from our file and snarkjs's
    with pytest.warns(DevelopmentSRSWarning):
        dev = dev_srs(3)
    export_ptau(dev, tmp_path / "dev.ptau")
    rc, out = run_snarkjs(snarkjs, "plonk", "setup", r1cs, tmp_path / "dev.ptau", tmp_path / "d.zkey")
    assert rc == 0, out


# ----------------------------------------------------------------- corrupted files

def _point_edit(data, sid, idx, size, fn):
    body = bytearray(section(data, sid))
    body[idx * size:(idx + 1) * size] = fn(bytes(body[idx * size:(idx + 1) * size]))
    return replace(data, sid, bytes(body))


def _swap(data, sid, i, j, size=64):
    body = bytearray(section(data, sid))
    a, b = body[i * size:(i + 1) * size], body[j * size:(j + 1) * size]
    body[i * size:(i + 1) * size], body[j * size:(j + 1) * size] = b, a
    return replace(data, sid, bytes(body))


def _g2_tau_plus_gen(data):
    x0, x1, y0, y1 = decode(section(data, 3)[128:256])
    (a0, a1), (b0, b1) = g2_add(((x0, x1), (y0, y1)), G2_GEN)
    return _point_edit(data, 3, 1, 128, lambda _: lem(a0) + lem(a1) + lem(b0) + lem(b1))


def _tau_one(data):
    gen = lem(1) + lem(2)
    body3 = section(data, 3)
    d = replace(data, 2, gen * 63)
    return replace(d, 3, body3[:128] + body3[:128] + body3[256:])


def _nonreduced(data):
    def f(b):
        x = int.from_bytes(b[:32], "little") + Q_MOD
        return x.to_bytes(32, "little") + b[32:]
    return _point_edit(data, 2, 4, 64, f)


CORRUPTIONS = {
    "truncated": (lambda d: d[:-100], r"truncated"),
    "truncated-preamble": (lambda d: d[:8], r"truncated"),
    "magic": (lambda d: b"zkey" + d[4:], r"wrong magic"),
    "version": (lambda d: d[:4] + struct.pack("<I", 2) + d[8:], r"unsupported ptau version 2"),
    "header-q": (lambda d: replace(d, 1, section(d, 1)[:4] + R_MOD.to_bytes(32, "little")
                                   + section(d, 1)[36:]), r"wrong curve"),
    "header-n8": (lambda d: replace(d, 1, struct.pack("<I", 48) + section(d, 1)[4:]),
                  r"wrong curve"),
    "flipped-byte": (lambda d: _point_edit(d, 2, 7, 64, lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:]),
                     r"tauG1 point 7 is not on the curve"),
    "non-reduced": (_nonreduced, r"tauG1 point 4 has a coordinate that is not reduced mod q"),
    "infinity": (lambda d: _point_edit(d, 2, 3, 64, lambda b: bytes(64)),
                 r"tauG1 point 3 is the point at infinity"),
    "swapped-powers": (lambda d: _swap(d, 2, 3, 4), r"not successive powers of tau"),
    "not-generator": (lambda d: _swap(d, 2, 0, 1), r"tauG1 point 0 is not the G1 generator"),
    "short-section-2": (lambda d: replace(d, 2, section(d, 2)[:-64]), r"section 2 \(tauG1\) has"),
    "missing-section-3": (lambda d: build([(s, b) for s, b in sections(d) if s != 3]),
                          r"missing section 3"),
    "duplicate-section": (lambda d: build(sections(d) + [(7, b"\0" * 4)]), r"duplicate section 7"),
    "trailing": (lambda d: d + b"\0", r"trailing bytes"),
    "g2-mismatch": (_g2_tau_plus_gen, r"\[tau\]_1 and \[tau\]_2 do not match"),
    "g2-off-curve": (lambda d: _point_edit(d, 3, 1, 128, lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:]),
                     r"tauG2 point 1: not on the twist"),
    "g2-not-generator": (lambda d: _swap(d, 3, 0, 1, 128), r"tauG2 point 0 is not the G2 generator"),
    "tau-one": (_tau_one, r"trivial SRS: tau = 1"),
    "lagrange": (lambda d: _swap(d, 12, 15 + 2, 15 + 9), r"section 12 \(Lagrange points\) is inconsistent"),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupted_file_is_rejected_with_a_named_reason(tmp_path, kind):
    fn, pattern = CORRUPTIONS[kind]
    path = write(tmp_path, fn(SNARKJS5.read_bytes()))
    with pytest.raises(PtauError, match=pattern) as e:
        load_ptau(path)
    assert "\n" not in str(e.value)


def test_scan_reports_sections_and_header():
    lay = scan_ptau(SNARKJS5)
    assert (lay.power, lay.ceremony_power) == (5, 5)
    assert sorted(lay.sections) == [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]
    assert read_section(lay, 2) == section(SNARKJS5.read_bytes(), 2)


# ----------------------------------------------------------------- dev SRS

def test_dev_srs_warns_and_has_consistent_powers(tmp_path):
    with pytest.warns(DevelopmentSRSWarning, match="not for production"):
        srs = dev_srs(4)
    assert srs.development and srs.power == 4 and srs.g1.shape == (31, 2, 4)
    pts, t2 = g1.array_to_points(srs.g1), srs.g2[1]
    assert pts[0] == G1_GEN and srs.g2[0] == G2_GEN
    for i in (0, 7, 29):
        assert pairing_check([(pts[i + 1], G2_GEN), (g1_neg(pts[i]), t2)])
    assert not pairing_check([(pts[3], G2_GEN), (g1_neg(pts[1]), t2)])
    export_ptau(srs, tmp_path / "dev.ptau")                 # the loader re-checks everything
    back = load_ptau(tmp_path / "dev.ptau")
    assert np.array_equal(back.g1, srs.g1) and back.g2 == srs.g2
    for p in range(5):                                      # fixed-base Lagrange = G1 iFFT
        assert np.array_equal(sk.g1_ifft(srs.g1[: 1 << p]), srs.lagrange[p])
        assert np.array_equal(back.lagrange[p], srs.lagrange[p])


def test_dev_srs_draws_tau_from_its_rng():
    class Seeded:
        def __init__(self, seed):
            self.r = random.Random(seed)

        def randbelow(self, n):
            return self.r.randrange(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentSRSWarning)
        a, b, c = dev_srs(2, rng=Seeded(1)), dev_srs(2, rng=Seeded(1)), dev_srs(2)
        d = dev_srs(2)
    assert np.array_equal(a.g1, b.g1)
    assert not np.array_equal(a.g1, c.g1) and not np.array_equal(c.g1, d.g1)
    assert isinstance(a, SRS) and a.g2 != c.g2


def test_lagrange_g1_rejects_a_block_beyond_the_power():
    srs = load_ptau(SNARKJS5, max_power=2, lagrange=False)
    with pytest.raises(ValueError, match="outside this SRS"):
        srs.lagrange_g1(3)


# ----------------------------------------------------------------- kernels vs twins

def _rand_points(rng, n):
    return [g1_mul(G1_GEN, rng.randrange(1, R_MOD)) for _ in range(n)]


def test_check_points_matches_twin():
    rng = random.Random(5)
    P = _rand_points(rng, 3)
    mont = lambda v: v * R % Q_MOD           # noqa: E731
    good = [(mont(x), mont(y)) for x, y in P]
    cases = [good, good + [(0, 0)], [good[0], (Q_MOD, good[1][1])], [good[0], (good[1][0], 2 ** 256 - 1)],
             [good[0], good[1], (good[2][0], (good[2][1] + 1) % Q_MOD)], [(0, 0)], [(mont(1), mont(2))],
             [(mont(1), mont(3))]]
    for raw in cases:
        arr = convert.ints_to_limbs([c for pt in raw for c in pt]).reshape(-1, 2, 4)
        for allow in (False, True):
            assert tuple(sk.check_points(arr, allow)) == twin.check_points(raw, allow), (raw, allow)
    big = np.repeat(g1.points_to_array(P[:1]), 5000, axis=0)
    big[4321, 1, 0] ^= np.uint64(1)
    assert tuple(sk.check_points(big, False)) == (4321, sk.BAD_CURVE)


EDGE_SCALARS = [0, 1, 2, 15, 16, 255, 256, R_MOD - 1, R_MOD, 2 ** 256 - 1, 2 ** 253 + 12345]


def test_fixed_base_mul_matches_twin():
    rng = random.Random(6)
    B = _rand_points(rng, 1)[0]
    ks = EDGE_SCALARS + [rng.randrange(R_MOD) for _ in range(6)]
    table = sk.fixed_base_table(g1.points_to_array([B])[0])
    got = g1.array_to_points(sk.fixed_base_affine(table, convert.ints_to_limbs(ks)))
    assert got == twin.fixed_base_mul(B, ks)


def test_batch_mul_matches_twin():
    rng = random.Random(7)
    ks = EDGE_SCALARS + [rng.randrange(R_MOD) for _ in range(4)]
    pts = _rand_points(rng, len(ks) - 2) + [None, G1_GEN]
    got = g1.array_to_points(sk.batch_mul_affine(g1.points_to_array(pts), ks))
    assert got == twin.batch_mul(pts, ks)


@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_g1_ifft_matches_twin(p):
    rng = random.Random(p)
    pts = _rand_points(rng, 1 << p)
    if p >= 2:
        pts[1], pts[2] = None, g1_neg(pts[3])            # infinity and P + (−P) inside butterflies
    if p == 3:
        pts[5] = pts[4]                                  # P + P
    got = g1.array_to_points(sk.g1_ifft(g1.points_to_array(pts)))
    assert got == twin.g1_ifft(pts)


def test_ifft_twiddles_are_inverse_roots():
    tw = sk.ifft_twiddle_ints(4)
    for m in (1, 2, 4, 8):
        w = root_of_unity(m.bit_length())
        assert tw[m:2 * m] == [pow(w, -j, R_MOD) for j in range(m)]
    assert np.array_equal(sk.ifft_twiddles(4), sk.glv_split(tw))


def test_glv_split_recombines_to_the_scalar():
    lam, beta = sk.GLV_LAMBDA, sk.GLV_BETA
    assert (lam * lam + lam + 1) % R_MOD == 0 and pow(beta, 3, Q_MOD) == 1 and beta != 1
    assert g1_mul(G1_GEN, lam) == (beta, 2)               # φ(G) = [λ]G
    limbs = [int(getattr(sk, f"_BETA{i}")) for i in range(4)]
    assert sum(v << (64 * i) for i, v in enumerate(limbs)) == beta * R % Q_MOD   # kernel's β
    rng = random.Random(8)
    ks = EDGE_SCALARS + [rng.randrange(R_MOD) for _ in range(200)]
    rows = sk.glv_split(ks).tolist()
    for k, (a0, a1, b0, b1, signs) in zip(ks, rows):
        k1 = (a0 | a1 << 64) * (-1 if signs & 1 else 1)
        k2 = (b0 | b1 << 64) * (-1 if signs & 2 else 1)
        assert (k1 + k2 * lam - k) % R_MOD == 0
        assert abs(k1) < 2 ** 127 and abs(k2) < 2 ** 127
