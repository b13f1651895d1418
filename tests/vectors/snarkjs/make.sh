#!/usr/bin/env bash
# Regenerates the snarkjs-made fixtures in tiny/ and multi/ (snarkjs 0.7.6, circom2 0.2.x from npm).
# Run from this folder with `npm install snarkjs@0.7.6 circom2` done somewhere on PATH/NODE_PATH.
# Proofs are randomised, so a re-run gives different (equally valid) proof.json files.
set -euo pipefail
S=${SNARKJS:-snarkjs}
C=${CIRCOM:-circom2}
work=$(mktemp -d)
$S powersoftau new bn128 8 "$work/pot8_0000.ptau"
$S powersoftau contribute "$work/pot8_0000.ptau" "$work/pot8_0001.ptau" --name="First" -e="fixture entropy"
$S powersoftau prepare phase2 "$work/pot8_0001.ptau" "$work/pot8_final.ptau"
build() {  # dir circuit-file extra-circom-flags
  local dir=$1 src=$2; shift 2
  (cd "$dir" && $C "$src" --r1cs --wasm "$@" -o "$work" )
  local name=${src%.circom}
  $S plonk setup "$work/$name.r1cs" "$work/pot8_final.ptau" "$work/$name.zkey"
  $S wtns calculate "$work/${name}_js/$name.wasm" "$dir/input.json" "$work/$name.wtns"
  $S plonk prove "$work/$name.zkey" "$work/$name.wtns" "$dir/proof.json" "$dir/public.json"
  $S zkey export verificationkey "$work/$name.zkey" "$dir/vk.json"
  $S plonk verify "$dir/vk.json" "$dir/public.json" "$dir/proof.json"
}
build tiny circuit.circom
build multi circuit2.circom --O0
rm -rf "$work"
