// Baby Jubjub reference values from circomlibjs (addPoint, mulPointEscalar, packPoint,
// unpackPoint, inSubgroup) for tests/circuits/test_babyjub.py.
//
//   cd tests && node vectors/babyjub/make.js > vectors/babyjub/vectors.json
//       deterministic inputs (SHA-256 counter stream seeded below), committed as vectors.json
//   node vectors/babyjub/make.js --eval < inputs.json
//       the same operations on inputs given as {"add":[[P,Q]..], "mul":[[P,k]..],
//       "pack":[P..], "unpack":[hex..], "subgroup":[P..]} (the live cross-check)
//
// Points are [x, y] decimal strings, scalars decimal strings, packed points hex.
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { buildBabyjub } from "circomlibjs";

const bj = await buildBabyjub();
const F = bj.F;
const pt = (P) => [F.toObject(P[0]).toString(), F.toObject(P[1]).toString()];
const unpt = (P) => [F.e(P[0]), F.e(P[1])];
const hex = (b) => Buffer.from(b).toString("hex");

function evaluate(inp) {
    return {
        add: inp.add.map(([P, Q]) => ({ p: P, q: Q, sum: pt(bj.addPoint(unpt(P), unpt(Q))) })),
        mul: inp.mul.map(([P, k]) => ({ p: P, k, kp: pt(bj.mulPointEscalar(unpt(P), BigInt(k))) })),
        pack: inp.pack.map((P) => ({ p: P, packed: hex(bj.packPoint(unpt(P))) })),
        unpack: inp.unpack.map((h) => {
            const r = bj.unpackPoint(Uint8Array.from(Buffer.from(h, "hex")));
            return { packed: h, p: r === null ? null : pt(r) };
        }),
        subgroup: inp.subgroup.map((P) => ({ p: P, in: bj.inSubgroup(unpt(P)) })),
    };
}

function generated() {
    let ctr = 0;
    const rnd = (bits) => {     // deterministic: SHA-256("darkmatch/babyjub-vectors" || counter)
        const h = createHash("sha256").update(`darkmatch/babyjub-vectors/${ctr++}`).digest("hex");
        return BigInt("0x" + h) >> BigInt(256 - bits);
    };
    const l = bj.subOrder, r = bj.p;
    const small = [];           // the 8 points of order dividing 8: j·(l·Generator)
    const t8 = bj.mulPointEscalar(bj.Generator, l);
    for (let j = 0n; j < 8n; j++) small.push(bj.mulPointEscalar(t8, j));
    const sub = [], full = [];
    for (let i = 0; i < 8; i++) sub.push(bj.mulPointEscalar(bj.Base8, rnd(251)));
    for (let i = 0; i < 8; i++) full.push(bj.mulPointEscalar(bj.Generator, rnd(254)));
    const neg = (P) => [F.neg(P[0]), P[1]];
    const pts = [...sub, ...full, ...small, bj.Base8, bj.Generator];
    const add = [];
    for (let i = 0; i < pts.length; i++) {
        add.push([pts[i], pts[(i * 7 + 3) % pts.length]], [pts[i], pts[i]], [pts[i], neg(pts[i])]);
    }
    const mul = [];
    for (const P of [...sub.slice(0, 4), ...full.slice(0, 4), small[1], small[2], bj.Base8])
        for (const k of [0n, 1n, 2n, 8n, l - 1n, l, l + 1n, 8n * l, r - 1n, rnd(64), rnd(251), rnd(256)])
            mul.push([P, k.toString()]);
    const unpack = pts.map((P) => hex(bj.packPoint(P)));
    for (let i = 0; i < 12; i++) unpack.push(rnd(256).toString(16).padStart(64, "0"));
    const subgroup = pts;
    return evaluate({
        add: add.map(([P, Q]) => [pt(P), pt(Q)]), mul: mul.map(([P, k]) => [pt(P), k]),
        pack: pts.map(pt), unpack, subgroup: subgroup.map(pt),
    });
}

const out = process.argv.includes("--eval") ? evaluate(JSON.parse(readFileSync(0, "utf8")))
                                             : generated();
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
