// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title PlonkMath — PLONK (GWC19, snarkjs 0.7 flavour) verification on BN254, the maths.
/// @notice One source for both verifiers: the deployable one (key in immutables, any key) and
/// the stand-alone one `darkmatch evm verifier` writes (key in constants). Both hand the key
/// to `_plonkVerify` as 26 memory words:
///   0..15  Qm Ql Qr Qo Qc S1 S2 S3 as x, y (the point at infinity as 0, 0)
///   16 n = 2^power   17 power   18 omega   19 k1   20 k2
///   21..24 [tau]_2 in the pairing precompile's order: x.c1, x.c0, y.c1, y.c0
///   25 nPublic
/// Proof: 24 calldata words in snarkjs's order — A B C Z T1 T2 T3 Wxi Wxiw (x, y each), then
/// a(z) b(z) c(z) s1(z) s2(z) z(zw).
///
/// Steps (r the scalar field, q the base field, zeta the evaluation challenge):
///  1. every coordinate < q and on y^2 = x^3 + 3; every evaluation and public input < r;
///  2. Keccak transcript, each challenge keccak(buffer) mod r:
///     beta = H(vk points, public inputs, A, B, C); gamma = H(beta);
///     alpha = H(beta, gamma, Z); zeta = H(alpha, T1, T2, T3);
///     v = H(zeta, six evaluations); u = H(Wxi, Wxiw);
///  3. Z_H(zeta) = zeta^n - 1 (non-zero, else reject); with one inversion (modexp, r - 2):
///     L_0(zeta) = Z_H / (n (zeta - 1)) and PI(zeta) = -Z_H/n * sum_i pub_i w^i / (zeta - w^i),
///     the sum kept as one fraction num/den while scanning the inputs;
///  4. r0 = PI - alpha^2 L_0 - alpha (a + beta s1 + gamma)(b + beta s2 + gamma)(c + gamma) zw;
///  5. B1 = Qc + ab Qm + a Ql + b Qr + c Qo + z_coef Z + s3_coef S3 - Z_H (T1 + zeta^n T2 + zeta^2n T3)
///        + v A + v^2 B + v^3 C + v^4 S1 + v^5 S2 - e [1]_1 + zeta Wxi + u zeta w Wxiw,
///     e = -r0 + v a + v^2 b + v^3 c + v^4 s1 + v^5 s2 + u zw,
///     z_coef = alpha (a + beta zeta + gamma)(b + beta k1 zeta + gamma)(c + beta k2 zeta + gamma)
///              + alpha^2 L_0 + u,
///     s3_coef = -alpha beta zw (a + beta s1 + gamma)(b + beta s2 + gamma);
///     A1 = Wxi + u Wxiw;
///  6. accept iff e(-A1, [tau]_2) e(B1, [1]_2) = 1 (precompiles 0x06 add, 0x07 mul, 0x08 pairing).
/// Never reverts on a bad proof: it returns false.
abstract contract PlonkMath {
    uint256 internal constant R_MOD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant Q_MOD =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant VK_WORDS = 26;

    // [1]_2 in the precompile's order (x.c1, x.c0, y.c1, y.c0)
    uint256 private constant G2_X1 =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant G2_X0 =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant G2_Y1 =
        4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 private constant G2_Y0 =
        8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @param vk the 26 key words above (memory)
    /// @param proofOffset calldata offset of the 24 proof words
    /// @param pubOffset calldata offset of the public inputs
    /// @param nPub how many public inputs (must equal vk[25])
    function _plonkVerify(uint256[26] memory vk, uint256 proofOffset, uint256 pubOffset, uint256 nPub)
        internal view returns (bool ok)
    {
        if (nPub != vk[25]) return false;
        assembly ("memory-safe") {
            // scratch (m = free memory): 0x000 beta 0x020 gamma 0x040 alpha 0x060 zeta 0x080 v
            // 0x0a0 u 0x0c0 Z_H 0x0e0 zeta^n 0x100 L0 0x120 PI 0x140 r0 0x160 perm 0x180 alpha^2
            // 0x1a0 B1 accumulator + ecMul in/out (160 bytes), 0x240 A1 likewise,
            // 0x2e0 buffer: transcript, modexp and pairing input
            function at(base, off) -> x { x := mload(add(base, off)) }
            function ev(pr, i) -> x { x := calldataload(add(pr, add(576, mul(i, 32)))) }
            function challenge(b, len) -> c { c := mod(keccak256(b, len), R_MOD) }
            function onCurve(p) -> good {
                let x := calldataload(p)
                let y := calldataload(add(p, 32))
                good := and(and(lt(x, Q_MOD), lt(y, Q_MOD)),
                            eq(mulmod(y, y, Q_MOD), addmod(mulmod(x, mulmod(x, x, Q_MOD), Q_MOD), 3, Q_MOD)))
            }
            // acc += s (x, y): ecMul into acc + 64, then ecAdd of the two points into acc
            // (two statements: Yul evaluates a call's arguments right to left)
            function mulAcc(acc, x, y, s) -> good {
                mstore(add(acc, 64), x)
                mstore(add(acc, 96), y)
                mstore(add(acc, 128), s)
                good := staticcall(gas(), 7, add(acc, 64), 96, add(acc, 64), 64)
                good := and(good, staticcall(gas(), 6, acc, 128, acc, 64))   // after the ecMul
            }
            function mulAccCd(acc, p, s) -> good {
                calldatacopy(add(acc, 64), p, 64)
                mstore(add(acc, 128), s)
                good := staticcall(gas(), 7, add(acc, 64), 96, add(acc, 64), 64)
                good := and(good, staticcall(gas(), 6, acc, 128, acc, 64))   // after the ecMul
            }

            // 1. canonical encodings
            function canonical(pr, pubs, count) -> good {
                good := 1
                for { let i := 0 } lt(i, 9) { i := add(i, 1) } {
                    good := and(good, onCurve(add(pr, mul(i, 64))))
                }
                for { let i := 0 } lt(i, 6) { i := add(i, 1) } {
                    good := and(good, lt(ev(pr, i), R_MOD))
                }
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    good := and(good, lt(calldataload(add(pubs, mul(i, 32))), R_MOD))
                }
            }

            // 2. transcript: beta gamma alpha zeta v u, and alpha^2
            function challenges(mm, key, pr, pubs, count, scratch) {
                for { let i := 0 } lt(i, 16) { i := add(i, 1) } {
                    mstore(add(scratch, mul(i, 32)), at(key, mul(i, 32)))
                }
                calldatacopy(add(scratch, 512), pubs, mul(count, 32))
                calldatacopy(add(scratch, add(512, mul(count, 32))), pr, 192)            // A B C
                mstore(mm, challenge(scratch, add(704, mul(count, 32))))                  // beta
                mstore(add(mm, 0x20), challenge(mm, 32))                                  // gamma
                mstore(scratch, at(mm, 0))
                mstore(add(scratch, 32), at(mm, 0x20))
                calldatacopy(add(scratch, 64), add(pr, 192), 64)                          // Z
                mstore(add(mm, 0x40), challenge(scratch, 128))                            // alpha
                mstore(scratch, at(mm, 0x40))
                calldatacopy(add(scratch, 32), add(pr, 256), 192)                         // T1 T2 T3
                mstore(add(mm, 0x60), challenge(scratch, 224))                            // zeta
                mstore(scratch, at(mm, 0x60))
                calldatacopy(add(scratch, 32), add(pr, 576), 192)                         // evaluations
                mstore(add(mm, 0x80), challenge(scratch, 224))                            // v
                calldatacopy(scratch, add(pr, 448), 128)                                  // Wxi Wxiw
                mstore(add(mm, 0xa0), challenge(scratch, 128))                            // u
                mstore(add(mm, 0x180), mulmod(at(mm, 0x40), at(mm, 0x40), R_MOD))         // alpha^2
            }

            // 3a. zeta^n and Z_H(zeta); false when zeta lies in the domain
            function vanishing(mm, key) -> good {
                let xin := at(mm, 0x60)
                for { let i := at(key, 544) } i { i := sub(i, 1) } { xin := mulmod(xin, xin, R_MOD) }
                mstore(add(mm, 0xe0), xin)
                let zh := addmod(xin, sub(R_MOD, 1), R_MOD)
                mstore(add(mm, 0xc0), zh)
                good := iszero(iszero(zh))
            }

            // 3b. L_0 and PI with one inversion; returns the modexp call's success
            function lagrangePI(mm, key, pubs, count, scratch) -> good {
                let num := 0
                let den := 1
                {
                    let w := 1
                    for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                        let p := calldataload(add(pubs, mul(i, 32)))
                        if p {
                            let d := addmod(at(mm, 0x60), sub(R_MOD, w), R_MOD)
                            num := addmod(mulmod(num, d, R_MOD), mulmod(mulmod(p, w, R_MOD), den, R_MOD), R_MOD)
                            den := mulmod(den, d, R_MOD)
                        }
                        w := mulmod(w, at(key, 576), R_MOD)
                    }
                }
                let x := mulmod(den, at(key, 512), R_MOD)                                 // n den
                let y := mulmod(at(key, 512), addmod(at(mm, 0x60), sub(R_MOD, 1), R_MOD), R_MOD) // n (zeta - 1)
                mstore(scratch, 32)
                mstore(add(scratch, 32), 32)
                mstore(add(scratch, 64), 32)
                mstore(add(scratch, 96), mulmod(x, y, R_MOD))
                mstore(add(scratch, 128), sub(R_MOD, 2))
                mstore(add(scratch, 160), R_MOD)
                good := staticcall(gas(), 5, scratch, 192, scratch, 32)                   // (x y)^(r-2)
                let inv := mload(scratch)
                let zh := at(mm, 0xc0)
                mstore(add(mm, 0x100), mulmod(zh, mulmod(inv, x, R_MOD), R_MOD))          // L0 = zh / y
                num := mulmod(zh, mulmod(num, mulmod(inv, y, R_MOD), R_MOD), R_MOD)
                mstore(add(mm, 0x120), mod(sub(R_MOD, num), R_MOD))                       // PI
            }

            // 4. r0, and perm = (a + beta s1 + gamma)(b + beta s2 + gamma)
            function linearisationConstant(mm, pr) {
                let beta := at(mm, 0)
                let gamma := at(mm, 0x20)
                let perm := mulmod(addmod(addmod(ev(pr, 0), mulmod(beta, ev(pr, 3), R_MOD), R_MOD), gamma, R_MOD),
                                   addmod(addmod(ev(pr, 1), mulmod(beta, ev(pr, 4), R_MOD), R_MOD), gamma, R_MOD),
                                   R_MOD)
                mstore(add(mm, 0x160), perm)
                let t := mulmod(mulmod(mulmod(perm, addmod(ev(pr, 2), gamma, R_MOD), R_MOD), ev(pr, 5), R_MOD),
                                at(mm, 0x40), R_MOD)
                let r0 := addmod(at(mm, 0x120), sub(R_MOD, mulmod(at(mm, 0x100), at(mm, 0x180), R_MOD)), R_MOD)
                mstore(add(mm, 0x140), addmod(r0, sub(R_MOD, t), R_MOD))
            }

            // scalar of [z]_1: alpha (a + beta zeta + gamma)(b + beta k1 zeta + gamma)(c + beta k2 zeta + gamma)
            //                  + alpha^2 L0 + u
            function zCoefficient(mm, key, pr) -> zc {
                let gamma := at(mm, 0x20)
                let bz := mulmod(at(mm, 0), at(mm, 0x60), R_MOD)
                zc := mulmod(addmod(addmod(ev(pr, 0), bz, R_MOD), gamma, R_MOD),
                             addmod(addmod(ev(pr, 1), mulmod(bz, at(key, 608), R_MOD), R_MOD), gamma, R_MOD), R_MOD)
                zc := mulmod(zc, addmod(addmod(ev(pr, 2), mulmod(bz, at(key, 640), R_MOD), R_MOD), gamma, R_MOD),
                             R_MOD)
                zc := addmod(addmod(mulmod(zc, at(mm, 0x40), R_MOD), mulmod(at(mm, 0x180), at(mm, 0x100), R_MOD),
                                    R_MOD), at(mm, 0xa0), R_MOD)
            }

            // 5a. [D]_1 (with u [z]_1) into acc, starting from Qc
            function partialCommitment(mm, key, pr, acc) -> good {
                mstore(acc, at(key, 256))
                mstore(add(acc, 32), at(key, 288))
                good := mulAcc(acc, at(key, 0), at(key, 32), mulmod(ev(pr, 0), ev(pr, 1), R_MOD))   // Qm
                good := and(good, mulAcc(acc, at(key, 64), at(key, 96), ev(pr, 0)))                 // Ql
                good := and(good, mulAcc(acc, at(key, 128), at(key, 160), ev(pr, 1)))               // Qr
                good := and(good, mulAcc(acc, at(key, 192), at(key, 224), ev(pr, 2)))               // Qo
                good := and(good, mulAccCd(acc, add(pr, 192), zCoefficient(mm, key, pr)))           // Z
                let s3 := mulmod(mulmod(at(mm, 0x160), mulmod(at(mm, 0x40), at(mm, 0), R_MOD), R_MOD),
                                 ev(pr, 5), R_MOD)
                good := and(good, mulAcc(acc, at(key, 448), at(key, 480), sub(R_MOD, s3)))         // S3
                let nzh := sub(R_MOD, at(mm, 0xc0))
                good := and(good, mulAccCd(acc, add(pr, 256), nzh))                                 // T1
                nzh := mulmod(nzh, at(mm, 0xe0), R_MOD)
                good := and(good, mulAccCd(acc, add(pr, 320), nzh))                                 // T2
                good := and(good, mulAccCd(acc, add(pr, 384), mulmod(nzh, at(mm, 0xe0), R_MOD)))    // T3
            }

            // 5b. + v A + v^2 B + v^3 C + v^4 S1 + v^5 S2 - e [1]_1
            function fullCommitmentMinusE(mm, key, pr, acc) -> good {
                let v := at(mm, 0x80)
                let vp := v
                let e := sub(R_MOD, at(mm, 0x140))                                                 // -r0
                good := mulAccCd(acc, pr, vp)                                                       // A
                e := addmod(e, mulmod(vp, ev(pr, 0), R_MOD), R_MOD)
                vp := mulmod(vp, v, R_MOD)
                good := and(good, mulAccCd(acc, add(pr, 64), vp))                                   // B
                e := addmod(e, mulmod(vp, ev(pr, 1), R_MOD), R_MOD)
                vp := mulmod(vp, v, R_MOD)
                good := and(good, mulAccCd(acc, add(pr, 128), vp))                                  // C
                e := addmod(e, mulmod(vp, ev(pr, 2), R_MOD), R_MOD)
                vp := mulmod(vp, v, R_MOD)
                good := and(good, mulAcc(acc, at(key, 320), at(key, 352), vp))                      // S1
                e := addmod(e, mulmod(vp, ev(pr, 3), R_MOD), R_MOD)
                vp := mulmod(vp, v, R_MOD)
                good := and(good, mulAcc(acc, at(key, 384), at(key, 416), vp))                      // S2
                e := addmod(e, mulmod(vp, ev(pr, 4), R_MOD), R_MOD)
                e := addmod(e, mulmod(at(mm, 0xa0), ev(pr, 5), R_MOD), R_MOD)
                good := and(good, mulAcc(acc, 1, 2, sub(R_MOD, e)))                                 // -e [1]_1
            }

            // 5c/6. B1 += zeta Wxi + u zeta w Wxiw; A1 = Wxi + u Wxiw; e(-A1, [tau]_2) e(B1, [1]_2) = 1
            function opening(mm, key, pr, scratch) -> good {
                let acc := add(mm, 0x1a0)
                let u := at(mm, 0xa0)
                good := mulAccCd(acc, add(pr, 448), at(mm, 0x60))
                good := and(good, mulAccCd(acc, add(pr, 512), mulmod(mulmod(u, at(mm, 0x60), R_MOD), at(key, 576),
                                                                      R_MOD)))
                let a1 := add(mm, 0x240)
                calldatacopy(a1, add(pr, 448), 64)
                good := and(good, mulAccCd(a1, add(pr, 512), u))
                mstore(scratch, at(a1, 0))
                mstore(add(scratch, 32), mod(sub(Q_MOD, at(a1, 32)), Q_MOD))
                mstore(add(scratch, 64), at(key, 672))
                mstore(add(scratch, 96), at(key, 704))
                mstore(add(scratch, 128), at(key, 736))
                mstore(add(scratch, 160), at(key, 768))
                mstore(add(scratch, 192), at(acc, 0))
                mstore(add(scratch, 224), at(acc, 32))
                mstore(add(scratch, 256), G2_X1)
                mstore(add(scratch, 288), G2_X0)
                mstore(add(scratch, 320), G2_Y1)
                mstore(add(scratch, 352), G2_Y0)
                good := and(good, staticcall(gas(), 8, scratch, 384, scratch, 32))
                good := and(good, mload(scratch))
            }

            let m := mload(0x40)
            let buf := add(m, 0x2e0)
            mstore(0x40, add(buf, add(704, mul(nPub, 32))))
            // only canonical points reach the precompiles (a failing one would burn all gas given)
            ok := canonical(proofOffset, pubOffset, nPub)
            if ok {
                challenges(m, vk, proofOffset, pubOffset, nPub, buf)
                ok := vanishing(m, vk)
            }
            if ok {
                ok := lagrangePI(m, vk, pubOffset, nPub, buf)
                linearisationConstant(m, proofOffset)
                ok := and(ok, partialCommitment(m, vk, proofOffset, add(m, 0x1a0)))
                ok := and(ok, fullCommitmentMinusE(m, vk, proofOffset, add(m, 0x1a0)))
                ok := and(ok, opening(m, vk, proofOffset, buf))
            }
        }
    }
}
