// Reference values for circuits/encryption.py from circomlibjs (tests/circuits/test_encryption.py).
//
//   cd tests && node vectors/encryption/ref.mjs > vectors/encryption/vectors.json
//       deterministic cases (SHA-256 counter stream below), committed as vectors.json
//   node vectors/encryption/ref.mjs --eval < inputs.json
//       the same on given cases (the live cross-check)
//
// inputs: {"domain": "<decimal>", "cases": [{"a": "<secret>", "e": "<block scalar>",
//          "account": "<id>", "tau": "<nonce>"}, ...]}
// output: {"domain", "cases"}, each case with A = a·Base8, E = e·Base8, S = e·A
// (mulPointEscalar), S2 = a·E, and keys = poseidon([S.x, S.y, account, tau], domain, 5)
// elements 1..4 (decimal strings).
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { buildBabyjub, buildPoseidonReference } from "circomlibjs";

const bj = await buildBabyjub();
const poseidon = await buildPoseidonReference();
const F = bj.F;
const pt = (P) => [F.toObject(P[0]).toString(), F.toObject(P[1]).toString()];
// DOMAIN = int(b"darkmatch/opening/v1", big-endian)
const DOMAIN = BigInt("0x" + Buffer.from("darkmatch/opening/v1").toString("hex")).toString();

function evaluate(inp) {
    const cases = inp.cases.map((c) => {
        const A = bj.mulPointEscalar(bj.Base8, BigInt(c.a));
        const E = bj.mulPointEscalar(bj.Base8, BigInt(c.e));
        const S = bj.mulPointEscalar(A, BigInt(c.e));
        const S2 = bj.mulPointEscalar(E, BigInt(c.a));
        const st = poseidon([F.toObject(S[0]), F.toObject(S[1]), BigInt(c.account), BigInt(c.tau)],
                            BigInt(inp.domain), 5);
        const keys = st.slice(1).map((k) => poseidon.F.toObject(k).toString());
        return { ...c, A: pt(A), E: pt(E), S: pt(S), S2: pt(S2), keys };
    });
    return { domain: inp.domain, cases };
}

function generated() {
    let ctr = 0;
    const rnd = (mod) => {      // deterministic: SHA-256("darkmatch/encryption-vectors/" || counter)
        const h = createHash("sha256").update(`darkmatch/encryption-vectors/${ctr++}`).digest("hex");
        return BigInt("0x" + h) % mod;
    };
    const l = bj.subOrder;
    const cases = [];
    for (let i = 0; i < 8; i++) {
        cases.push({ a: (1n + rnd(l - 1n)).toString(), e: (1n + rnd(l - 1n)).toString(),
                     account: rnd(1n << 40n).toString(), tau: rnd(1n << 80n).toString() });
    }
    cases.push({ a: "1", e: (l - 1n).toString(), account: "0", tau: "0" });
    return evaluate({ domain: DOMAIN, cases });
}

const out = process.argv.includes("--eval") ? evaluate(JSON.parse(readFileSync(0, "utf8")))
                                             : generated();
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
