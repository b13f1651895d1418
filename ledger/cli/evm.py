"""``darkmatch evm``: Solidity verifier generation and validators' Ethereum keys.

    darkmatch evm verifier --vk verification_key.json --out Verifier.sol
    darkmatch evm key --out validator.ethkey

``verifier`` writes a stand-alone PLONK verifier for the key, with snarkjs's
interface ``verifyProof(uint256[24] proof, uint256[N] pubSignals) returns
(bool)`` (proof words in snarkjs's order); its maths is the committed
``PlonkMath.sol``, so no compiler or checkout is needed to write it.  ``key``
makes a validator's Ethereum signing key (hex, mode 0600) and prints its
address, which goes into the settlement genesis's committee.
"""

__all__ = ["register", "run_verifier", "run_key"]


def _vk(path):
    import json
    from ledger.cli.main import UserError
    from verifier.marshal import FormatError, VerifyingKey
    try:
        return VerifyingKey.from_json(json.loads(open(path).read()))
    except OSError as e:
        raise UserError(f"verification key {path}: {e.strerror}") from None
    except ValueError as e:   # JSON and FormatError (a ValueError) alike
        raise UserError(f"verification key {path}: {str(e).splitlines()[0]}") from None


def run_verifier(args) -> int:
    import pathlib
    from ledger.cli.main import UserError
    from ledger.ethereum.generate import verifier_source
    from verifier.errors import BadInput
    vk = _vk(args.vk)
    try:
        src = verifier_source(vk)
    except BadInput as e:
        raise UserError(str(e)) from None
    out = pathlib.Path(args.out)
    try:
        out.write_text(src)
    except OSError as e:
        raise UserError(f"cannot write {out}: {e.strerror}") from None
    print(f"wrote {out}: PlonkVerifier for {vk.n_public} public inputs (n = 2^{vk.power})")
    return 0


def run_key(args) -> int:
    from ledger.cli.main import UserError
    from ledger.ethereum.settlement import new_key_file
    try:
        acct = new_key_file(args.out)
    except FileExistsError:
        raise UserError(f"{args.out} exists; not overwriting a key") from None
    except OSError as e:
        raise UserError(f"cannot write {args.out}: {e.strerror}") from None
    print(f"wrote {args.out} (mode 0600): Ethereum address {acct.address}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("evm", help="Solidity verifier and Ethereum keys",
                       description="Write a Solidity PLONK verifier for a key; make Ethereum keys.")
    s = p.add_subparsers(dest="evm_command", metavar="SUBCOMMAND", parser_class=type(p))
    v = s.add_parser("verifier", help="write Verifier.sol for a verification key")
    v.add_argument("--vk", default="verification_key.json", help="verification_key.json")
    v.add_argument("--out", default="Verifier.sol", help="Solidity file to write")
    v.set_defaults(func=run_verifier)
    k = s.add_parser("key", help="make a validator's Ethereum signing key (file mode 0600)")
    k.add_argument("--out", required=True, help="key file to create")
    k.set_defaults(func=run_key)
