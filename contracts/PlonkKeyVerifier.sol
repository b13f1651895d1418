// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {PlonkMath} from "./PlonkMath.sol";

/// @title PlonkKeyVerifier — a PLONK verifier whose verification key is set at deployment.
/// @notice The prebuilt bytecode serves any key (the demo's key is made at run time): the 26
/// key words of PlonkMath are constructor arguments kept in immutables (read like constants).
/// The constructor checks the key's shape (points on the curve, n = 2^power, nPublic <= n);
/// the key's correctness for a circuit is the deployer's claim, visible in `verificationKey()`.
contract PlonkKeyVerifier is PlonkMath {
    uint256 private immutable K0;
    uint256 private immutable K1;
    uint256 private immutable K2;
    uint256 private immutable K3;
    uint256 private immutable K4;
    uint256 private immutable K5;
    uint256 private immutable K6;
    uint256 private immutable K7;
    uint256 private immutable K8;
    uint256 private immutable K9;
    uint256 private immutable K10;
    uint256 private immutable K11;
    uint256 private immutable K12;
    uint256 private immutable K13;
    uint256 private immutable K14;
    uint256 private immutable K15;
    uint256 private immutable K16;
    uint256 private immutable K17;
    uint256 private immutable K18;
    uint256 private immutable K19;
    uint256 private immutable K20;
    uint256 private immutable K21;
    uint256 private immutable K22;
    uint256 private immutable K23;
    uint256 private immutable K24;
    uint256 private immutable K25;

    error BadKey(uint256 word);

    constructor(uint256[26] memory k) {
        for (uint256 i = 0; i < 16; i += 2) {
            uint256 x = k[i];
            uint256 y = k[i + 1];
            bool inf = x == 0 && y == 0;
            if (!inf && (x >= Q_MOD || y >= Q_MOD
                         || mulmod(y, y, Q_MOD) != addmod(mulmod(x, mulmod(x, x, Q_MOD), Q_MOD), 3, Q_MOD))) {
                revert BadKey(i);
            }
        }
        if (k[17] == 0 || k[17] > 28 || k[16] != (uint256(1) << k[17])) revert BadKey(16);
        if (k[18] >= R_MOD || k[19] >= R_MOD || k[20] >= R_MOD) revert BadKey(18);
        for (uint256 i = 21; i < 25; i++) if (k[i] >= Q_MOD) revert BadKey(i);
        if (k[25] > k[16]) revert BadKey(25);
        K0 = k[0]; K1 = k[1]; K2 = k[2]; K3 = k[3]; K4 = k[4]; K5 = k[5]; K6 = k[6]; K7 = k[7];
        K8 = k[8]; K9 = k[9]; K10 = k[10]; K11 = k[11]; K12 = k[12]; K13 = k[13]; K14 = k[14];
        K15 = k[15]; K16 = k[16]; K17 = k[17]; K18 = k[18]; K19 = k[19]; K20 = k[20]; K21 = k[21];
        K22 = k[22]; K23 = k[23]; K24 = k[24]; K25 = k[25];
    }

    /// @notice The key words this verifier checks against (PlonkMath's layout).
    function verificationKey() public view returns (uint256[26] memory) {
        return [K0, K1, K2, K3, K4, K5, K6, K7, K8, K9, K10, K11, K12, K13, K14, K15, K16, K17,
                K18, K19, K20, K21, K22, K23, K24, K25];
    }

    /// @notice Number of public inputs of the key's circuit.
    function nPublic() external view returns (uint256) {
        return K25;
    }

    /// @notice True iff `proof` (24 words, snarkjs's order) proves `pubSignals` for this key.
    function verifyProof(uint256[24] calldata proof, uint256[] calldata pubSignals)
        external view returns (bool)
    {
        uint256 po;
        uint256 pp;
        assembly {
            po := proof
            pp := pubSignals.offset
        }
        return _plonkVerify(verificationKey(), po, pp, pubSignals.length);
    }
}
