"""``darkmatch verify``: check a proof, or blocks, from the command line.

Proof files, like ``snarkjs plonk verify``::

    darkmatch verify --vk vk.json --proof proof.json --public public.json

Block files (``blocks/block-NNNNNN.json`` from a node or the demo)::

    darkmatch verify --vk vk.json --block b1.json [b2.json …] [--genesis genesis.json]

Without ``--genesis`` each block's structure and its PLONK proof over its own
public inputs are checked.  With ``--genesis`` the blocks, sorted by height,
must form the chain from that genesis (heights 1, 2, … in a row): they are
replayed in memory, with no database (``ledger.chain.rules.replay_block``
from ``genesis_view``), by the rules a catching-up validator re-checks
fetched blocks with — every proof, every order signature and expiry, the
nullifiers, the old account commitments and the state root, and each
block's validator signatures by validators holding more than 2/3 of the
stake.  Block 1 whose parent is not the genesis's hash is named as a block of
another ledger (not blamed on its signatures); ``--proof``/``--public`` with
``--block`` are refused rather than ignored.

Prints one line; exit 0 when everything checks, 1 when a proof or block is
invalid (the line names the first failure), 2 when a file is missing or
malformed.
"""

__all__ = ["register", "run", "check_blocks"]


def _load_blocks(paths):
    from ledger.core.block import BlockError, block_from_json
    from ledger.cli.main import UserError
    from ledger.core.codec import CodecError, load_json_file
    blocks = []
    for path in paths:
        try:
            blocks.append(block_from_json(load_json_file(path, "block"), f"block file {path}"))
        except (CodecError, BlockError) as e:
            raise UserError(str(e)) from None
    return sorted(blocks, key=lambda b: b.height)


def check_blocks(vk, blocks, genesis=None) -> str:
    """'' when every block checks (module docstring), else the first failure in one line."""
    from ledger.chain.rules import genesis_view, replay_block
    from ledger.core.genesis import genesis_hash
    from verifier import check
    from verifier.errors import Rejected
    first = blocks[0] if blocks else None
    if (genesis is not None and first is not None and first.height == 1
            and first.parent_hash != genesis_hash(genesis)):      # before any other check
        return (f"block 1 is not of the ledger of this genesis (chain {genesis.chain_id}): "
                f"its parent {first.parent_hash[:16]}… is not the genesis hash "
                f"{genesis_hash(genesis)[:16]}…")
    verdicts = {}
    for b in blocks:
        verdict = check(vk, list(b.public_inputs), b.proof)
        if not verdict.ok:
            return f"block {b.height}: proof rejected: {verdict.reason}"
        verdicts[b.hash()] = (verdict.ok, verdict.reason)
    if genesis is None:
        return ""
    view = genesis_view(genesis)
    for b in blocks:
        if b.height != view.height + 1:
            return (f"block {b.height} does not follow block {view.height} "
                    "(the blocks must run from height 1 without a gap)")
        try:                                    # what a catching-up node checks, in memory
            view = replay_block(view, b, lambda blk: verdicts[blk.hash()])
        except Rejected as e:
            msg = str(e)
            return msg if msg.startswith(f"block {b.height}") else f"block {b.height}: {msg}"
    return ""


def run(args) -> int:
    from ledger.cli.main import UserError
    from ledger.core.codec import CodecError, load_json_file
    from verifier import check
    given = [f for f, v in (("--proof", args.proof), ("--public", args.public)) if v]
    if args.block and given:
        raise UserError(f"{' and '.join(given)} cannot go with --block (a block carries "
                        "its proof and public inputs): check one or the other")
    try:
        vk = load_json_file(args.vk, "verification key")
    except CodecError as e:
        raise UserError(str(e)) from None
    if args.block:
        return _run_blocks(args, vk)
    if args.genesis:
        raise UserError("--genesis goes with --block")
    try:
        proof = load_json_file(args.proof or "proof.json", "proof")
        public = load_json_file(args.public or "public.json", "public inputs")
    except CodecError as e:
        raise UserError(str(e)) from None
    verdict = check(vk, public, proof)
    if verdict.ok:
        print("OK: proof verifies")
        return 0
    print(f"INVALID: {verdict.reason}")
    return 1


def _run_blocks(args, vk) -> int:
    from ledger.cli.main import UserError
    from ledger.core.genesis import GenesisError, load_genesis
    from verifier.marshal import FormatError, VerifyingKey
    try:
        vk = VerifyingKey.from_json(vk)
    except FormatError as e:
        raise UserError(f"verification key {args.vk}: {e}") from None
    genesis = None
    if args.genesis:
        try:
            genesis = load_genesis(args.genesis)
        except GenesisError as e:
            raise UserError(str(e)) from None
    blocks = _load_blocks(args.block)
    failure = check_blocks(vk, blocks, genesis)
    if failure:
        print(f"INVALID: {failure}")
        return 1
    span = (f"block {blocks[0].height}" if len(blocks) == 1
            else f"blocks {blocks[0].height}-{blocks[-1].height}")
    if genesis is None:
        print(f"OK: {span}: every proof verifies (order and validator signatures and the "
              "state are not checked without --genesis)")
    else:
        print(f"OK: {span} replay from genesis {genesis.chain_id}: proofs, order signatures, "
              "nullifiers, state commitments, market figures (oracle quorum, mark, funding, "
              "insurance) and > 2/3 stake signatures all check")
    return 0


def register(sub) -> None:
    p = sub.add_parser("verify", help="verify a PLONK proof or ledger blocks",
                       description="Verify a PLONK proof (snarkjs JSON) or ledger block files.")
    p.add_argument("--vk", default="verification_key.json", help="verification_key.json")
    p.add_argument("--proof", help="proof.json (the default without --block)")
    p.add_argument("--public", help="public.json (the default without --block)")
    p.add_argument("--block", nargs="+", metavar="FILE",
                   help="block files to check instead of a proof (any order; sorted by height)")
    p.add_argument("--genesis", help="with --block: replay the blocks from this genesis")
    p.set_defaults(func=run)
