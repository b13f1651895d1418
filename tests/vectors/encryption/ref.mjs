// Reference values for circuits/encryption.py from circomlibjs (tests/circuits/test_encryption.py).
//
//   node vectors/encryption/ref.mjs < inputs.json
//
// inputs: {"domain": "<decimal>", "cases": [{"a": "<secret>", "e": "<block scalar>",
//          "account": "<id>", "tau": "<nonce>"}, ...]}
// output, per case: A = a·Base8, E = e·Base8, S = e·A (mulPointEscalar), S2 = a·E, and
// keys = poseidon([S.x, S.y, account, tau], domain, 5) elements 1..4 (decimal strings).
import { readFileSync } from "fs";
import { buildBabyjub, buildPoseidonReference } from "circomlibjs";

const bj = await buildBabyjub();
const poseidon = await buildPoseidonReference();
const F = bj.F;
const pt = (P) => [F.toObject(P[0]).toString(), F.toObject(P[1]).toString()];
const inp = JSON.parse(readFileSync(0, "utf8"));
const out = inp.cases.map((c) => {
    const A = bj.mulPointEscalar(bj.Base8, BigInt(c.a));
    const E = bj.mulPointEscalar(bj.Base8, BigInt(c.e));
    const S = bj.mulPointEscalar(A, BigInt(c.e));
    const S2 = bj.mulPointEscalar(E, BigInt(c.a));
    const st = poseidon([F.toObject(S[0]), F.toObject(S[1]), BigInt(c.account), BigInt(c.tau)],
                        BigInt(inp.domain), 5);
    const keys = st.slice(1).map((k) => poseidon.F.toObject(k).toString());
    return { A: pt(A), E: pt(E), S: pt(S), S2: pt(S2), keys };
});
process.stdout.write(JSON.stringify(out) + "\n");
