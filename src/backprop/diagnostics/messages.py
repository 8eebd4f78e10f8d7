"""Plain-language explanations of the findings, in English and Chinese (``lang="en"|"zh"``).

Every string is a ``str.format`` template; :func:`text` picks the language and
fills it in. Keys are shared by the monitor, the demonstrations and the CLI.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    # --- findings -------------------------------------------------------------------------
    "vanishing": {
        "en": "Vanishing gradients: the gradient norm of {layer} is {ratio:.1e} times that of "
              "the last layer {last} (median over {steps} steps; flagged below {threshold:g}). "
              "{cause}The early layers barely learn. Fixes: ReLU with He (kaiming) "
              "initialisation, BatchNorm between the layers, or residual connections.",
        "zh": "梯度消失：{layer} 的梯度范数只有最后一层 {last} 的 {ratio:.1e} 倍（{steps} 步的"
              "中位数；低于 {threshold:g} 即报警）。{cause}前面的层几乎学不到东西。解决办法：ReLU "
              "配合 He（kaiming）初始化、在层与层之间加批归一化（BatchNorm），或者使用残差连接。",
    },
    "vanishing_cause_sigmoid": {
        "en": "On the way back, the error signal is multiplied at each of the {count} sigmoid "
              "layers by σ'(z) = σ(z)(1 − σ(z)) ≤ 0.25 and by the weights, so it shrinks "
              "geometrically with depth. ",
        "zh": "反向传播时，误差信号每经过一个 sigmoid 层（共 {count} 个）都要乘以 "
              "σ'(z) = σ(z)(1 − σ(z)) ≤ 0.25，再乘以权重，因此随深度按几何级数衰减。",
    },
    "vanishing_cause_tanh": {
        "en": "On the way back, the error signal is multiplied at each of the {count} tanh layers "
              "by tanh'(z) = 1 − tanh²(z) ≤ 1 (near 0 for saturated units) and by the weights, "
              "so it shrinks geometrically with depth. ",
        "zh": "反向传播时，误差信号每经过一个 tanh 层（共 {count} 个）都要乘以 "
              "tanh'(z) = 1 − tanh²(z) ≤ 1（饱和单元接近 0），再乘以权重，"
              "因此随深度按几何级数衰减。",
    },
    "vanishing_cause_generic": {
        "en": "Each layer multiplies the backward signal by its weights and its activation's "
              "derivative, and here that product is far below 1. ",
        "zh": "每一层都把反向传播的信号乘以该层的权重和激活函数的导数，而这里这个乘积远小于 1。",
    },
    "exploding": {
        "en": "Exploding gradients: the total gradient norm reached {norm:.3g} at step {step} "
              "({reason}). {time}Updates this large throw the weights far away and "
              "the loss diverges, often to NaN. Fixes: clip the gradient norm "
              "(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0) between backward() "
              "and step()), a smaller learning rate, a recurrent weight with spectral radius "
              "below 1 (e.g. orthogonal initialisation), or gated cells (LSTM, GRU).",
        "zh": "梯度爆炸：第 {step} 步时梯度的总范数达到 {norm:.3g}（{reason}）。"
              "{time}这么大的更新会把权重甩得很远，损失发散，常常变成 NaN。"
              "解决办法：裁剪梯度范数（在 backward() 和 step() 之间"
              "调用 nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)）、减小学习率、"
              "让循环权重的谱半径小于 1（例如正交初始化），或者使用门控单元（LSTM、GRU）。",
    },
    "exploding_above": {
        "en": "above the limit of {threshold:g}",
        "zh": "超过了上限 {threshold:g}",
    },
    "exploding_growth": {
        "en": "{growth:.3g}× its value at step 1, more than the {factor:g}× allowed",
        "zh": "是第 1 步的 {growth:.3g} 倍，超过了允许的 {factor:g} 倍",
    },
    "exploding_time": {
        "en": "Through time, the gradient of {layer}'s output grew {growth:.3g}× from the last of "
              "its {calls} time steps back to the first: backpropagation through time multiplies "
              "it by the recurrent weight once per step, and that weight's spectral radius "
              "exceeds 1. ",
        "zh": "沿时间方向，{layer} 输出的梯度从 {calls} 个时间步的最后一步反传到第一步时增长了 "
              "{growth:.3g} 倍：随时间反向传播（BPTT）每经过一个时间步就乘一次循环权重，而它的"
              "谱半径大于 1。",
    },
    "nonfinite": {
        "en": "Non-finite gradients: {layers} got NaN or Inf gradients (first at step {step}). A "
              "single such update ruins the weights. Find the op that produced them by running "
              "the forward and backward pass inside `with bp.autograd.detect_anomaly():`; the "
              "usual causes are the log of 0 or of a negative number, a division by zero, an "
              "overflowing exp, or gradients that exploded first.",
        "zh": "梯度出现非有限值：{layers} 的梯度含有 NaN 或 Inf（最早在第 {step} 步）。只要一次"
              "这样的更新就会毁掉权重。把前向传播和反向传播放进 "
              "`with bp.autograd.detect_anomaly():` 中运行，就能找到产生它们的运算；常见原因是"
              "对 0 或负数取对数、除以零、exp 溢出，或者梯度先爆炸了。",
    },
    "saturated": {
        "en": "Saturated units: on average {share:.0%} of the units of {layer} ({activation}) sit "
              "where the derivative is nearly 0 ({rule}), so almost no gradient passes them. "
              "Normalise the inputs, use a smaller initialisation or BatchNorm, or switch to ReLU.",
        "zh": "单元饱和：{layer}（{activation}）平均有 {share:.0%} 的单元处在导数几乎为 0 的区域"
              "（{rule}），梯度几乎无法通过。可以对输入做归一化、减小初始化尺度、使用 BatchNorm，"
              "或者改用 ReLU。",
    },
    "dead_relu": {
        "en": "Dead ReLUs: on average {share:.0%} of the units of {layer} output 0 for the whole "
              "batch, so they get no gradient and may never recover. Lower the learning rate, "
              "use He initialisation, or try LeakyReLU.",
        "zh": "ReLU 死亡：{layer} 平均有 {share:.0%} 的单元对整个批次都输出 0，因此得不到梯度，"
              "可能再也无法恢复。可以降低学习率、使用 He 初始化，或者改用 LeakyReLU。",
    },
    "rule_sigmoid": {"en": "output < {eps:g} or > {high:g}", "zh": "输出 < {eps:g} 或 > {high:g}"},
    "rule_tanh": {"en": "|output| > {high:g}", "zh": "|输出| > {high:g}"},
    "healthy": {
        "en": "No problems found: no vanishing, exploding or non-finite gradients.",
        "zh": "未发现问题：没有梯度消失、梯度爆炸或非有限梯度。",
    },
    # --- the terminal report ----------------------------------------------------------------
    "col_layer": {"en": "layer", "zh": "层"},
    "col_kind": {"en": "kind", "zh": "类型"},
    "col_grad": {"en": "‖∂L/∂·‖", "zh": "‖∂L/∂·‖"},
    "col_ratio": {"en": "÷ last layer", "zh": "÷ 最后一层"},
    "col_update": {"en": "‖Δw‖/‖w‖", "zh": "‖Δw‖/‖w‖"},
    "col_units": {"en": "sat./dead", "zh": "饱和/死亡"},
    "col_step": {"en": "step", "zh": "步"},
    "col_time": {"en": "time step t", "zh": "时间步 t"},
    "col_hgrad": {"en": "‖∂L/∂h_t‖", "zh": "‖∂L/∂h_t‖"},
    "col_total": {"en": "total ‖∇‖ (→ after clipping)", "zh": "总梯度范数（→ 裁剪后）"},
    "col_loss": {"en": "loss", "zh": "损失"},
    "kind_weight": {"en": "weight", "zh": "权重"},
    "kind_bias": {"en": "bias", "zh": "偏置"},
    "kind_parameter": {"en": "parameter", "zh": "参数"},
    "legend_vanishing": {
        "en": "Per layer, medians over the steps: ‖∂L/∂·‖ the gradient norm (of the weight, or "
              "of the activation's output), ÷ last layer that norm over the last weight's, "
              "‖Δw‖/‖w‖ the update per step relative to the weight, sat./dead the share of "
              "saturated sigmoid units or dead ReLUs.",
        "zh": "每一层在各训练步上的中位数：‖∂L/∂·‖ 为梯度范数（权重的梯度，或激活函数输出的梯度），"
              "÷ 最后一层 为它与最后一层权重梯度范数之比，‖Δw‖/‖w‖ 为每步更新量相对于权重的大小，"
              "饱和/死亡 为饱和的 sigmoid 单元或死亡的 ReLU 所占比例。",
    },
    "result": {
        "en": "after {steps} steps: loss {loss:.4f}, test accuracy {accuracy:.1%}",
        "zh": "训练 {steps} 步后：损失 {loss:.4f}，测试准确率 {accuracy:.1%}",
    },
    "result_rnn": {
        "en": "after {steps} steps: loss {loss}",
        "zh": "训练 {steps} 步后：损失 {loss}",
    },
    "time_growth": {
        "en": "at training step 1, ‖∂L/∂h_t‖ grows {growth:.3g}× from t = {last} back to t = 1",
        "zh": "在第 1 个训练步，‖∂L/∂h_t‖ 从 t = {last} 反传到 t = 1 增长了 {growth:.3g} 倍",
    },
    "clipped_note": {
        "en": "The backward signal still grows through time, but clip_grad_norm_ rescales the "
              "whole gradient to norm ≤ {max_norm:g} before each step, so the updates stay "
              "small and training is stable.",
        "zh": "反向信号沿时间仍在增长，但 clip_grad_norm_ 在每次更新前把整个梯度缩放到范数 ≤ "
              "{max_norm:g}，所以更新量保持很小，训练是稳定的。",
    },
    "plots_written": {"en": "plots written: {paths}", "zh": "已保存图像：{paths}"},
    "heading_vanishing": {
        "en": "Vanishing gradients: a deep MLP on the 8×8 digits (scikit-learn, no download)",
        "zh": "梯度消失：在 8×8 手写数字（scikit-learn 自带，无需下载）上训练深层 MLP",
    },
    "heading_exploding": {
        "en": "Exploding gradients: a recurrent net unrolled over {time_steps} time steps",
        "zh": "梯度爆炸：沿 {time_steps} 个时间步展开的循环神经网络",
    },
    # --- the demonstrations' variants --------------------------------------------------------
    "variant_sigmoid": {
        "en": "{depth} Linear layers with sigmoid, PyTorch's default initialisation",
        "zh": "{depth} 个 Linear 层 + sigmoid，PyTorch 默认初始化",
    },
    "variant_relu_he": {
        "en": "fix 1: the same depth with ReLU and He (kaiming) initialisation",
        "zh": "修复 1：相同深度，改用 ReLU 和 He（kaiming）初始化",
    },
    "variant_batchnorm": {
        "en": "fix 2: sigmoid again, with BatchNorm1d before each activation",
        "zh": "修复 2：仍用 sigmoid，但在每个激活函数之前加 BatchNorm1d",
    },
    "variant_residual": {
        "en": "fix 3: sigmoid again, with residual connections h ← h + W σ(h) + b",
        "zh": "修复 3：仍用 sigmoid，加残差连接 h ← h + W σ(h) + b",
    },
    "variant_rnn": {
        "en": "linear recurrence h_t = W h_(t−1) + U x_t, spectral radius of W = {radius:g}, "
              "SGD lr {lr:g}",
        "zh": "线性循环 h_t = W h_(t−1) + U x_t，W 的谱半径 = {radius:g}，SGD 学习率 {lr:g}",
    },
    "variant_rnn_tanh": {
        "en": "tanh recurrence h_t = tanh(W h_(t−1) + U x_t), spectral radius of W = {radius:g}, "
              "SGD lr {lr:g}",
        "zh": "tanh 循环 h_t = tanh(W h_(t−1) + U x_t)，W 的谱半径 = {radius:g}，SGD 学习率 {lr:g}",
    },
    "variant_rnn_clipped": {
        "en": "fix: the same net and learning rate, gradients clipped with "
              "clip_grad_norm_(max_norm={max_norm:g})",
        "zh": "修复：同样的网络和学习率，用 clip_grad_norm_(max_norm={max_norm:g}) 裁剪梯度",
    },
}


def text(key: str, lang: str = "en", **values: Any) -> str:
    """The message ``key`` in ``lang``, filled in with ``values``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    return MESSAGES[key][lang].format(**values)
