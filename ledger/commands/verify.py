"""``darkmatch verify --vk vk.json --proof proof.json --public public.json``.

Like ``snarkjs plonk verify``: prints one line, exit 0 when the proof verifies,
1 when it does not, 2 when a file is missing or not JSON.
"""

__all__ = ["register", "run"]


def run(args) -> int:
    from ledger.cli import UserError
    from ledger.codec import CodecError, load_json_file
    from verifier.verify import check
    try:
        vk = load_json_file(args.vk, "verification key")
        proof = load_json_file(args.proof, "proof")
        public = load_json_file(args.public, "public inputs")
    except CodecError as e:
        raise UserError(str(e)) from None
    verdict = check(vk, public, proof)
    if verdict.ok:
        print("OK: proof verifies")
        return 0
    print(f"INVALID: {verdict.reason}")
    return 1


def register(sub) -> None:
    p = sub.add_parser("verify", help="verify a PLONK proof (snarkjs JSON formats)",
                       description="Verify a PLONK proof against a verification key and public inputs.")
    p.add_argument("--vk", default="verification_key.json", help="verification_key.json")
    p.add_argument("--proof", default="proof.json", help="proof.json")
    p.add_argument("--public", default="public.json", help="public.json")
    p.set_defaults(func=run)
