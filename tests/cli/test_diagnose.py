"""`backprop diagnose`: runs the demonstrations quickly, in English and Chinese, with rich
tables or the plain fallback, and writes PNG plots on request."""

import builtins
import os

import pytest

from backprop.cli.main import build_parser, main


def test_vanishing_table_and_findings(capsys):
    assert main(["diagnose", "vanishing", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "Vanishing gradients: a deep MLP" in out
    assert "10 Linear layers with sigmoid" in out
    for fix in ("fix 1", "fix 2", "fix 3"):
        assert fix in out
    assert out.count("⚠ Vanishing gradients") == 1  # the sigmoid net only
    assert out.count("✓ No problems found") == 3
    assert "18.weight" in out and "0.weight" in out
    assert "test accuracy" in out
    assert "Exploding gradients" not in out


def test_exploding_in_chinese_with_plots(capsys, tmp_path):
    assert main(["diagnose", "exploding", "--steps", "4", "--lang", "zh",
                 "--plot", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "梯度爆炸：沿 30 个时间步展开的循环神经网络" in out
    assert "⚠ 梯度爆炸" in out and "⚠ 梯度出现非有限值" in out
    assert "✓ 未发现问题" in out
    assert "增长了 198 倍" in out
    assert os.listdir(tmp_path) == ["exploding.png"]
    assert "已保存图像" in out


def test_plain_text_without_rich(capsys, monkeypatch):
    real_import = builtins.__import__

    def no_rich(name, *args, **kwargs):
        if name.startswith("rich"):
            raise ImportError("rich is not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rich)
    assert main(["diagnose", "exploding", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "== Exploding gradients" in out
    assert "┃" not in out and "│" not in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("time step t"))
    assert lines[header + 1].split() == ["1", "3.84e+03"]


def test_help_and_bad_steps(capsys):
    with pytest.raises(SystemExit) as info:
        main(["diagnose", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "backprop diagnose vanishing --steps 100" in out and "--lang" in out
    assert "diagnose" in build_parser().format_help()
    with pytest.raises(SystemExit, match="--steps must be at least 1"):
        main(["diagnose", "exploding", "--steps", "0"])
    with pytest.raises(SystemExit):
        main(["diagnose", "sideways"])
