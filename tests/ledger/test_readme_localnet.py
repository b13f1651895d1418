"""The README's one-command walkthrough runs as written: localnet up, two batches, curl -f,
validator show, localnet down.

The block is taken from README.md and run with bash, with two changes only:
4 traders instead of 8 (a smaller circuit, same commands) and a free range of
ports instead of 8700-8703, so that it cannot clash with anything else.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from ledger.node.daemon import port_free

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIRST = "darkmatch localnet up --validators 4 --traders 8"


def _free_base(n=4):
    for base in range(31000, 60000, 97):
        if all(port_free("127.0.0.1", base + i) for i in range(n)):
            return base
    pytest.skip("no free range of ports")


def _walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(FIRST)
    return text[start:text.index("```", start)]


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="needs curl and bash")
def test_readme_localnet_walkthrough(tmp_path):
    script = _walkthrough()
    assert "curl -sf" in script and script.count("operator batch") == 2
    base = _free_base()
    script = script.replace(FIRST, f"darkmatch localnet up --validators 4 --traders 4 "
                                   f"--base-port {base}")
    script = re.sub(r"127\.0\.0\.1:870(\d)", lambda m: f"127.0.0.1:{base + int(m[1])}", script)
    prelude = f'set -euo pipefail\ndarkmatch() {{ "{sys.executable}" -m ledger.cli "$@"; }}\n'
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        r = subprocess.run(["bash", "-c", prelude + script], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=900)
    finally:
        if (tmp_path / "darkmatch-localnet" / "localnet.json").exists():
            subprocess.run([sys.executable, "-m", "ledger.cli", "localnet", "down", "--dir",
                            str(tmp_path / "darkmatch-localnet"), "--grace", "2"], env=env,
                           cwd=tmp_path, capture_output=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "Traceback" not in out
    assert "FINAL: block 1" in out and "FINAL: block 2" in out
    assert "OK: block 1 replay from genesis darkmatch-localnet" in out
    assert '"height": 2' in out                            # curl -sf …/status
    assert "last_signed: 2" in out and "height: 2" in out  # validator show
    assert out.count("stopped (pid") == 4                   # localnet down
