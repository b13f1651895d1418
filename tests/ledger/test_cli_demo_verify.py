"""`darkmatch demo` and `darkmatch verify`: exit codes, one-line errors, files snarkjs-shaped."""

import json
import subprocess
import sys

import pytest

from ledger.cli import main


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--power", "5", "--out", str(out)]) == 0
    return out


def _verify_args(d, public=None):
    return ["verify", "--vk", str(d / "verification_key.json"), "--proof", str(d / "proof.json"),
            "--public", str(public or d / "public.json")]


def test_demo_writes_a_proof_that_verifies(demo_dir, capsys):
    assert main(_verify_args(demo_dir)) == 0
    assert capsys.readouterr().out.strip() == "OK: proof verifies"


def test_verify_rejects_a_changed_public_input(demo_dir, tmp_path, capsys):
    public = json.loads((demo_dir / "public.json").read_text())
    bad = tmp_path / "public.json"
    bad.write_text(json.dumps([str(int(public[0]) + 1)]))
    assert main(_verify_args(demo_dir, bad)) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith("INVALID:") and "\n" not in out


@pytest.mark.parametrize("content,needle", [(None, "not found"), ("{", "not valid JSON")])
def test_verify_bad_files_one_line_exit_2(demo_dir, tmp_path, capsys, content, needle):
    path = tmp_path / "vk.json"
    if content is not None:
        path.write_text(content)
    args = _verify_args(demo_dir)
    args[2] = str(path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err


def test_demo_rejects_bad_power(capsys):
    assert main(["demo", "--power", "40"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--power" in err and "\n" not in err


def test_no_traceback_from_the_module_entry_point(tmp_path):
    p = subprocess.run([sys.executable, "-m", "ledger.cli", "verify", "--vk", str(tmp_path / "x.json")],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1
