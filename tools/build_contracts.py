"""Build the committed contract artifacts from contracts/*.sol with the pinned solc.

    python tools/build_contracts.py           # write ledger/ethereum/artifacts/
    python tools/build_contracts.py --check   # exit 1 if the committed ones are stale

Writes one ``<Contract>.json`` (abi, bytecode, deployedBytecode, solc version,
settings) per deployable contract and ``sources.json`` (the sources, so the
verifier generator works from an installed package).  Needs node and
``npm ci`` in tests/ (solcjs); running darkmatch does not.
"""

import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger.ethereum.artifacts import ARTIFACTS, DEPLOYABLE  # noqa: E402
from ledger.ethereum.solc import SETTINGS, SOLC_VERSION, compile_sources  # noqa: E402

CONTRACTS = ROOT / "contracts"


def build() -> dict:
    """{artifact file name: its JSON text}, freshly compiled."""
    srcs = {p.name: p.read_text() for p in sorted(CONTRACTS.glob("*.sol"))}
    compiled = compile_sources(srcs)
    out = {"sources.json": json.dumps(srcs, indent=1, sort_keys=True) + "\n"}
    for name in DEPLOYABLE:
        c = compiled[name]
        art = {"contract": name, "solc": SOLC_VERSION, "settings": SETTINGS, "abi": c["abi"],
               "bytecode": c["bytecode"], "deployedBytecode": c["deployedBytecode"]}
        out[f"{name}.json"] = json.dumps(art, indent=1, sort_keys=True) + "\n"
    return out


def stale(built: dict) -> list:
    """Names of committed artifact files that differ from ``built`` (or are missing)."""
    bad = [n for n, text in built.items()
           if not (ARTIFACTS / n).exists() or (ARTIFACTS / n).read_text() != text]
    extra = [p.name for p in ARTIFACTS.glob("*.json") if p.name not in built]
    return sorted(bad + extra)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report stale artifacts")
    args = ap.parse_args(argv)
    built = build()
    if args.check:
        bad = stale(built)
        print("artifacts up to date" if not bad else "stale artifacts: " + ", ".join(bad))
        return 1 if bad else 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for n, text in built.items():
        (ARTIFACTS / n).write_text(text)
    print(f"wrote {len(built)} files to {ARTIFACTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
