"""``darkmatch verify --vk vk.json --proof proof.json --public public.json``.

Like ``snarkjs plonk verify``: prints one line, exit 0 when the proof verifies,
1 when it does not, 2 when a file is missing or not JSON.
"""

import json

__all__ = ["register", "run"]


def _load(path: str, what: str):
    from ledger.cli import UserError
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise UserError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{what} path is a directory: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{what} file is not valid JSON: {path} ({e.__class__.__name__})") from None


def run(args) -> int:
    from verifier.verify import check
    vk = _load(args.vk, "verification key")
    proof = _load(args.proof, "proof")
    public = _load(args.public, "public inputs")
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
