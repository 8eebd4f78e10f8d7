"""`backprop demo`: trains on the real digits, prints per-epoch figures, has --help with an
example."""

import re

import pytest

from backprop.cli.main import main


def test_demo_plain_prints_every_epoch_and_reaches_95_percent(capsys):
    assert main(["demo", "--epochs", "3", "--plain"]) == 0
    out = capsys.readouterr().out
    epochs = re.findall(r"epoch\s+(\d)/3\s+train loss (\d\.\d+)\s+"
                        r"held-out accuracy\s+([\d.]+)%", out)
    assert [e[0] for e in epochs] == ["1", "2", "3"]
    losses = [float(e[1]) for e in epochs]
    assert losses[-1] < losses[0]
    final = re.search(r"held-out accuracy ([\d.]+)% \((\d+)/355\) after 3 epochs", out)
    assert final and float(final.group(1)) >= 95.0
    assert int(final.group(2)) == round(float(final.group(1)) / 100 * 355)


def test_demo_with_rich_table(capsys):
    assert main(["demo", "--epochs", "1", "--hidden", "16", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "train loss" in out and "held-out accuracy" in out and "1/1" in out
    assert "64-16-10" in out


def test_demo_is_reproducible(capsys):
    main(["demo", "--epochs", "1", "--plain", "--seed", "5"])
    first = re.sub(r"\(\d+\.\d+ s\)|in \d+\.\d+ s", "", capsys.readouterr().out)
    main(["demo", "--epochs", "1", "--plain", "--seed", "5"])
    assert re.sub(r"\(\d+\.\d+ s\)|in \d+\.\d+ s", "", capsys.readouterr().out) == first


def test_demo_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and "backprop demo --epochs" in out


def test_demo_rejects_bad_epochs(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--epochs", "0"])
    assert "positive integer" in capsys.readouterr().err


def test_demo_is_listed_in_top_level_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "demo" in capsys.readouterr().out
