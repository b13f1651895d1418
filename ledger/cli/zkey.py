"""``darkmatch zkey export verificationkey circuit.zkey [verification_key.json]``.

Writes the verification key of a snarkjs PLONK zkey exactly as ``snarkjs zkey
export verificationkey`` does (same fields, order and formatting).  Reads only
the zkey's headers (the file is memory-mapped and checked against its header).
"""

__all__ = ["register"]


def _export_vk(args) -> int:
    from ledger.cli.plonk import fail
    from verifier.errors import DarkmatchError
    try:
        from prover.snarkjs import read_zkey, vk_json_text
        text = vk_json_text(read_zkey(args.zkey).vk)
        with open(args.vk, "w") as f:
            f.write(text)
    except (DarkmatchError, OSError) as e:
        return fail(e)
    return 0


def register(sub) -> None:
    p = sub.add_parser("zkey", help="snarkjs zkey tools: export the verification key",
                       description="Work with snarkjs PLONK .zkey files.")
    cmds = p.add_subparsers(dest="zkey_command", metavar="COMMAND", required=True)
    e = cmds.add_parser("export", help="export a part of a zkey")
    what = e.add_subparsers(dest="zkey_export", metavar="WHAT", required=True)
    v = what.add_parser("verificationkey", help="circuit.zkey → verification_key.json")
    v.add_argument("zkey")
    v.add_argument("vk", nargs="?", default="verification_key.json")
    v.set_defaults(func=_export_vk)
