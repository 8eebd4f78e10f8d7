"""`backprop explain`: built-ins, specs, languages, formats, files, errors, --help."""

import re

import pytest

from backprop.cli.main import main


def test_mazur_in_chinese(capsys):
    assert main(["explain", "mazur", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    for term in ["前向传播", "反向传播", "链式法则", "误差", "偏导数", "权重", "偏置", "学习率",
                 "输出层", "隐藏层", "梯度", "更新"]:
        assert term in out, term
    assert "net_h1 = w1·i1 + w2·i2 + b1·1 = 0.15·0.05 + 0.2·0.1 + 0.35·1 = 0.3775" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_steps_and_learning_rate(capsys):
    assert main(["explain", "mazur", "--steps", "300", "--lr", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "learning rate η = 0.8" in out
    assert "w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.8·0.0821670406 = " in out
    assert "7. Training: the error after 300 steps" in out
    steps = re.findall(r"^\s+(\d+)\s+[\d.]+$", out, flags=re.MULTILINE)
    assert steps == ["0", "1", "2", "3", "300"]


def test_color_always(capsys):
    assert main(["explain", "nobias", "--color", "always"]) == 0
    assert "\x1b[1;32m" in capsys.readouterr().out


@pytest.mark.parametrize("example, fmt, marker", [
    ("mazur", "markdown", r"\frac{\partial E}{\partial w_5}"),
    ("conv", "html", "<math"),
])
def test_formats_to_a_file(tmp_path, capsys, example, fmt, marker):
    path = tmp_path / f"out.{fmt}"
    assert main(["explain", example, "--format", fmt, "-o", str(path)]) == 0
    assert "numbers checked against autograd" in capsys.readouterr().out
    assert marker in path.read_text(encoding="utf-8")


def test_a_spec_file(capsys, tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('inputs = [1.0]\ntargets = [0.5]\n[[layers]]\nweight = [[0.3]]\n'
                    'bias = [0.1]\nactivation = "tanh"\n')
    assert main(["explain", str(spec), "--lr", "0.1", "--loss", "mse"]) == 0
    out = capsys.readouterr().out
    assert "net_o1 = w1·i1 + b_o1·1 = 0.3·1 + 0.1·1 = 0.4" in out
    assert "out_o1 = tanh(net_o1) = tanh(0.4) = 0.379948962" in out


def test_errors_go_to_stderr_with_a_status(capsys):
    assert main(["explain", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("backprop explain: error: 'nonsense' is neither a built-in example")
    assert main(["explain", "mazur", "--steps", "0"]) == 2
    assert "steps must be >= 1" in capsys.readouterr().err
    assert main(["explain", "conv", "--loss", "mse"]) == 2


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["explain", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "backprop explain mazur --steps 10000" in out and "--lang" in out
