"""``darkmatch ceremony``: run a local powers-of-tau ceremony (see ``prover.ceremony``).

  darkmatch ceremony new --power P --out FILE
  darkmatch ceremony contribute --in FILE --out FILE [--name N] [--entropy TEXT]
  darkmatch ceremony verify FILE
  darkmatch ceremony export --in FILE --out FILE.ptau

Secrets come from the OS CSPRNG (``--entropy`` only adds to it) and never touch
the disk.  ``export`` verifies, then writes a prepared .ptau (Lagrange section 12)
that ``snarkjs plonk setup`` and ``prover.srs.load_ptau`` accept.  Bad input is a
one-line ``UserError``; ``--out`` naming the ``--in`` file is refused before
anything is read or written.
"""

import os

__all__ = ["register"]


def _run(function, /, *args, **kw):
    """``prover.ceremony.<function>(…)`` with its errors as one line (the prover loads only here)."""
    from ledger.cli.main import UserError
    from prover import ceremony
    from prover.srs import PtauError
    try:
        return getattr(ceremony, function)(*args, **kw)
    except (PtauError, ceremony.CeremonyError) as e:
        raise UserError(str(e)) from None
    except FileNotFoundError as e:
        raise UserError(f"no such file: {e.filename}") from None
    except IsADirectoryError as e:
        raise UserError(f"is a directory: {e.filename}") from None


def _need_file(path: str) -> None:
    from ledger.cli.main import UserError
    if not os.path.isfile(path):
        raise UserError(f"no such file: {path}")


def _distinct(inp: str, out: str) -> None:
    """Refuse ``--out`` naming the ``--in`` file (it would overwrite the input)."""
    from ledger.cli.main import UserError
    same = os.path.realpath(inp) == os.path.realpath(out)
    if not same and os.path.exists(out):
        try:
            same = os.path.samefile(inp, out)
        except OSError:
            pass
    if same:
        raise UserError(f"--out {out} is the --in file: write the result to a new file")


def _new(args) -> int:
    from ledger.cli.main import UserError
    from prover.srs import MAX_POWER
    if not 1 <= args.power <= MAX_POWER:
        raise UserError(f"--power must be in 1..{MAX_POWER}, got {args.power}")
    _run("new", args.power, args.out)
    print(f"wrote {args.out}: power {args.power}, no contributions yet (tau = 1); "
          f"run `darkmatch ceremony contribute --in {args.out} --out NEXT`")
    return 0


def _contribute(args) -> int:
    _need_file(args.inp)
    _distinct(args.inp, args.out)
    h = _run("contribute", args.inp, args.out, name=args.name,
             entropy=(args.entropy or "").encode())
    n = len(_run("read_transcript", args.out))
    print(f"contribution #{n} {args.name!r} written to {args.out}")
    print(f"transcript hash: {h.hex()}")
    return 0


def _verify(args) -> int:
    _need_file(args.file)
    infos = _run("verify", args.file)
    for c in infos:
        print(f"#{c['index']} {c['name']!r}: {c['hash']}")
    print(f"OK: {len(infos)} contribution(s) verified; the powers of tau are consistent")
    return 0


def _export(args) -> int:
    _need_file(args.inp)
    _distinct(args.inp, args.out)
    srs = _run("export", args.inp, args.out)
    print(f"wrote {args.out}: power {srs.power}, sections 1, 2, 3, 12 and the transcript")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("ceremony", help="local powers-of-tau ceremony (SRS for PLONK)",
                              description="Run a local powers-of-tau ceremony: new, contribute, verify, export.")
    sub = p.add_subparsers(dest="ceremony_action", metavar="ACTION", parser_class=type(p))

    n = sub.add_parser("new", help="start a ceremony file (tau = 1)")
    n.add_argument("--power", type=int, required=True, help="log2 of the largest circuit domain")
    n.add_argument("--out", required=True, help="ceremony file to write")
    n.set_defaults(func=_new)

    c = sub.add_parser("contribute", help="multiply in a fresh secret and prove it")
    c.add_argument("--in", dest="inp", required=True, help="current ceremony file")
    c.add_argument("--out", required=True, help="file to write")
    c.add_argument("--name", default="", help="contributor name recorded in the transcript")
    c.add_argument("--entropy", default=None, help="extra entropy mixed into the OS CSPRNG's")
    c.set_defaults(func=_contribute)

    v = sub.add_parser("verify", help="check every contribution and the final powers")
    v.add_argument("file")
    v.set_defaults(func=_verify)

    e = sub.add_parser("export", help="verify, then write a prepared .ptau (adds section 12)")
    e.add_argument("--in", dest="inp", required=True, help="ceremony file")
    e.add_argument("--out", required=True, help=".ptau to write")
    e.set_defaults(func=_export)

    def _help(_args) -> int:
        p.print_help()
        return 0
    p.set_defaults(func=_help)
