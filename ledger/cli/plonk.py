"""``darkmatch plonk``: ``snarkjs plonk`` on circom's own files, same arguments, same files.

  darkmatch plonk setup circuit.r1cs pot.ptau circuit.zkey       (= snarkjs plonk setup)
  darkmatch plonk prove circuit.zkey witness.wtns proof.json public.json
  darkmatch plonk verify verification_key.json public.json proof.json

``setup`` writes the zkey snarkjs would write, byte for byte; ``prove`` reads
snarkjs's zkey and circom's .wtns (memory-mapped) and writes snarkjs's
proof.json / public.json, which ``snarkjs plonk verify`` accepts; ``verify`` is
our pure-Python verifier (exit 0 valid, 1 invalid, 2 bad input).

Start-up is part of what a user waits for: this module imports nothing at load
time, and each command imports only what it runs (``verify`` never loads the
Numba prover; nothing here loads the ledger, HTTP or terminal-UI packages).
Errors are one line on stderr with the exit code of their kind
(``verifier.errors``: bad input 2, a witness that breaks a gate 1).
"""

import sys

__all__ = ["register", "write_json", "fail"]


def fail(e) -> int:
    """One line for a ``DarkmatchError`` / ``OSError``; returns the exit code."""
    from verifier.errors import DarkmatchError
    if isinstance(e, OSError):
        msg = (e.strerror or str(e)) + (f": {e.filename}" if e.filename else "")
        code = 2
    else:
        msg, code = str(e), e.exit_code if isinstance(e, DarkmatchError) else 2
    print(f"darkmatch: error: {msg.splitlines()[0] if msg.strip() else type(e).__name__}",
          file=sys.stderr)
    return code


def write_json(path, obj) -> None:
    """JSON as snarkjs writes it (one-space indent, no final newline)."""
    import json
    with open(path, "w") as f:
        f.write(json.dumps(obj, indent=1))


def _setup(args) -> int:
    from verifier.errors import DarkmatchError
    try:
        from prover.snarkjs import plonk_setup
        info = plonk_setup(args.r1cs, args.ptau, args.zkey)
    except (DarkmatchError, OSError) as e:
        return fail(e)
    print(f"wrote {args.zkey}: {info['rows']} PLONK gates ({info['additions']} additions), "
          f"domain 2^{info['power']}, {info['public']} public signals")
    return 0


def _prove(args) -> int:
    from verifier.errors import DarkmatchError
    try:
        from prover.snarkjs import prove_zkey, read_wtns, read_zkey
        zk = read_zkey(args.zkey)
        proof, public = prove_zkey(zk, read_wtns(args.witness))
        write_json(args.proof, proof.to_json())
        write_json(args.public, [str(x) for x in public])
    except (DarkmatchError, OSError) as e:
        return fail(e)
    return 0


def _load(path, what):
    import json
    from verifier.errors import BadInput
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise BadInput(f"{what} {path}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{what} {path}: not JSON ({e})") from None


def _verify(args) -> int:
    from verifier.errors import DarkmatchError
    from verifier.marshal import Proof, VerifyingKey, parse_public
    from verifier import check
    try:
        vk = VerifyingKey.from_json(_load(args.vk, "verification key"))
        public = parse_public(_load(args.public, "public inputs"), vk.n_public)
        proof = Proof.from_json(_load(args.proof, "proof"))
    except DarkmatchError as e:
        return fail(e)
    verdict = check(vk, public, proof)
    if verdict.ok:
        print("OK!")
        return 0
    print(f"Invalid proof: {verdict.reason}")
    return 1


def register(sub) -> None:
    p = sub.add_parser("plonk", help="snarkjs-compatible PLONK: setup, prove, verify",
                       description="Drop-in for `snarkjs plonk setup|prove|verify` on circom's "
                                   ".r1cs/.wtns and snarkjs's .ptau/.zkey files.")
    cmds = p.add_subparsers(dest="plonk_command", metavar="COMMAND", required=True)
    s = cmds.add_parser("setup", help="circuit.r1cs + pot.ptau → circuit.zkey (snarkjs's bytes)")
    s.add_argument("r1cs")
    s.add_argument("ptau")
    s.add_argument("zkey")
    s.set_defaults(func=_setup)
    s = cmds.add_parser("prove", help="circuit.zkey + witness.wtns → proof.json, public.json")
    s.add_argument("zkey")
    s.add_argument("witness")
    s.add_argument("proof", nargs="?", default="proof.json")
    s.add_argument("public", nargs="?", default="public.json")
    s.set_defaults(func=_prove)
    s = cmds.add_parser("verify", help="verification_key.json public.json proof.json → OK!")
    s.add_argument("vk")
    s.add_argument("public")
    s.add_argument("proof")
    s.set_defaults(func=_verify)
