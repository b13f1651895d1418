#!/usr/bin/env bash
# Regenerates the .ptau fixtures of this folder (snarkjs 0.7.6 from tests/node_modules).
# Run from the repository root after `cd tests && npm ci`.  snarkjs_pot5.ptau carries
# random contribution entropy, so a re-run gives a different (equally valid) file.
set -euo pipefail
S=${SNARKJS:-tests/node_modules/.bin/snarkjs}
D=tests/vectors/ptau
work=$(mktemp -d)

# snarkjs_pot5.ptau: a normal snarkjs ceremony at power 5, prepared for phase 2
# (sections 1-7 and 12-15; section 12 = Lagrange blocks p = 0..6).
$S powersoftau new bn128 5 "$work/pot5_0000.ptau"
$S powersoftau contribute "$work/pot5_0000.ptau" "$work/pot5_0001.ptau" \
   --name="First" -e="darkmatch ptau fixture"
$S powersoftau prepare phase2 "$work/pot5_0001.ptau" "$D/snarkjs_pot5.ptau"
$S powersoftau verify "$D/snarkjs_pot5.ptau"

# knowntau_pot5.ptau: INSECURE known tau = 1234567891011 (alpha 777, beta 999):
# sections 1-7 written by make_knowntau.py, then prepared (section 12) by snarkjs.
python "$D/make_knowntau.py" "$work/knowntau_unprepared.ptau" 5
$S powersoftau prepare phase2 "$work/knowntau_unprepared.ptau" "$D/knowntau_pot5.ptau"

# circuit.r1cs: tests/vectors/snarkjs/tiny/circuit.circom (out <== x*x + 5; 2 PLONK
# gates, domain 2^3) compiled by circom 2.2.3 (npm circom2):
#   circom2 tests/vectors/snarkjs/tiny/circuit.circom --r1cs -o "$work" && cp "$work/circuit.r1cs" $D/
rm -rf "$work"
