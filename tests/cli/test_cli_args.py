"""The command line's parsing, help, version and one-line errors (no training needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import topograd
from topograd.cli import build_parser, main

COMMANDS = ["train", "evaluate", "predict", "summary", "export"]


def run_cli(*args, module=True):
    cmd = [sys.executable, "-m", "topograd", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"topograd {topograd.__version__}"


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for c in COMMANDS:
        assert c in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: topograd {command}")
    assert len(out.splitlines()) > 4


def test_train_help_lists_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for opt in ["--model", "--dataset", "--optimizer", "--lr", "--epochs", "--batch-size",
                "--seed", "--augment", "--data-dir", "--save", "--resume", "--log", "--limit",
                "mlp-bn", "rmsprop", "spiral"]:
        assert opt in out, opt


def test_train_defaults_are_the_seed_network():
    args = build_parser().parse_args(["train"])
    assert (args.model, args.dataset, args.optimizer, args.epochs, args.batch_size) == \
        ("mlp", "mnist", "rmsprop", 5, 128)
    assert args.lr is None and not args.augment and not args.resume


@pytest.mark.parametrize("argv,fragment", [
    (["train", "--epochs", "zero"], "argument --epochs: expected a positive integer"),
    (["train", "--epochs", "0"], "expected a positive integer, found '0'"),
    (["train", "--lr", "-1"], "argument --lr: expected a positive number"),
    (["train", "--lr", "nan"], "argument --lr: expected a positive number"),
    (["train", "--seed", "-3"], "argument --seed: expected a non-negative integer"),
    (["train", "--dataset", "cifar"], "argument --dataset: invalid choice: 'cifar'"),
    (["train", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["fly"], "invalid choice: 'fly'"),
    (["predict", "model.safetensors"], "the following arguments are required: INPUT"),
    (["evaluate"], "the following arguments are required: MODEL"),
])
def test_bad_options_give_one_line_and_status_2(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["evaluate", "missing.safetensors"],
                                  ["summary", "missing.safetensors"],
                                  ["predict", "missing.safetensors", "digit.png"],
                                  ["export", "missing.safetensors", "out.onnx"]])
def test_missing_model_file(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"topograd {argv[0]}: error: model file 'missing.safetensors' " \
                          f"not found"


def test_train_option_conflicts(capsys, tmp_path):
    assert main(["train", "--resume"]) == 2
    assert "--resume needs --save PATH" in capsys.readouterr().err
    assert main(["train", "--save", str(tmp_path / "no" / "m.safetensors")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", "--model", str(tmp_path / "nope.json"), "--dataset", "spiral"]) == 2
    err = capsys.readouterr().err
    assert "neither a preset" in err and len(err.strip().splitlines()) == 1


def test_damaged_model_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    assert main(["summary", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bad.safetensors" in err


def test_python_dash_m_is_the_same_program():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"topograd {topograd.__version__}"
    proc = run_cli("train", "--epochs", "x")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("topograd train: error: argument --epochs: expected a "
                                   "positive integer, found 'x' (see topograd train --help)")
    proc = run_cli("evaluate", "nowhere.safetensors")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
