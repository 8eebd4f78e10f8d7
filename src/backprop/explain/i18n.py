"""The explainer's words in English and Chinese (``lang="en"`` / ``lang="zh"``).

The Chinese uses the terms of the Chinese backprop tutorials: 前向传播, 反向传播,
链式法则, 误差, 偏导数, 权重, 偏置, 学习率, 输出层, 隐藏层, 梯度, 更新.
Formulas are the same in both languages.
"""

from __future__ import annotations

from typing import Any

LANGS = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    # --- titles and sections ---------------------------------------------------------
    "title": ("Backpropagation step by step: {name}", "反向传播逐步详解：{name}"),
    "mazur_title": ("the classic 2-2-2 network (Mazur)", "经典的 2-2-2 网络（Mazur）"),
    "nobias_title": ("a 2-2-2 network without biases", "无偏置的 2-2-2 网络"),
    "given": ("The network and the training sample", "网络与训练样本"),
    "given_example": ("The example", "示例"),
    "forward": ("1. Forward pass", "1. 前向传播"),
    "error": ("2. The error", "2. 误差"),
    "backward_out": ("3. Backward pass: the output layer", "3. 反向传播：输出层"),
    "backward_hidden": ("4. Backward pass: the hidden layers", "4. 反向传播：隐藏层"),
    "update": ("5. Updating the weights", "5. 更新权重"),
    "matrix": ("6. The same pass in matrix form: the four fundamental equations",
               "6. 矩阵形式：反向传播的四个基本方程"),
    "training": ("7. Training: the error after {steps}", "7. 训练：{steps}之后的误差"),
    "check": ("Checked", "校验"),
    "hidden_layer": ("Hidden layer ({names})", "隐藏层（{names}）"),
    "hidden_layer_n": ("Hidden layer {n} ({names})", "第 {n} 个隐藏层（{names}）"),
    "output_layer": ("Output layer ({names})", "输出层（{names}）"),
    # --- the dense network -------------------------------------------------------------
    "intro": ("A {shape} network: {acts}. One training sample; loss {loss}; learning rate "
              "η = {lr}.",
              "一个 {shape} 的网络：{acts}。一个训练样本；损失函数为 {loss}；学习率 η = {lr}。"),
    "acts_sigmoid": ("sigmoid σ(z) = 1/(1 + e⁻ᶻ)", "sigmoid 激活函数 σ(z) = 1/(1 + e⁻ᶻ)"),
    "acts_tanh": ("tanh", "tanh 激活函数"),
    "acts_relu": ("ReLU(z) = max(z, 0)", "ReLU(z) = max(z, 0) 激活函数"),
    "acts_identity": ("no activation (identity)", "无激活函数（恒等）"),
    "acts_layer": ("{layer}: {act}", "{layer}：{act}"),
    "layer_word": ("layer {n}", "第 {n} 层"),
    "loss_mse_half": ("E = ½Σ(target − out)²", "E = ½Σ(target − out)²（均方误差）"),
    "loss_mse": ("E = (1/n)Σ(out − target)² (mean squared error)",
                 "E = (1/n)Σ(out − target)²（均方误差）"),
    "loss_bce": ("E = −(1/n)Σ[target·ln out + (1 − target)·ln(1 − out)] (binary cross-entropy)",
                 "E = −(1/n)Σ[target·ln out + (1 − target)·ln(1 − out)]（二元交叉熵）"),
    "loss_cross_entropy": ("E = −Σ target·ln p with p = softmax(out) (cross-entropy)",
                           "E = −Σ target·ln p，其中 p = softmax(out)（交叉熵）"),
    "inputs_targets": ("Inputs and targets:", "输入与目标值："),
    "weights_of": ("{layer}: weights and biases", "{layer}的权重与偏置："),
    "weights_only_of": ("{layer}: weights", "{layer}的权重："),
    "bias_fixed": ("The biases stay fixed: they are not updated (as in the classic example).",
                   "偏置保持不变：不参与更新（与经典示例相同）。"),
    "no_bias": ("The network has no biases.", "该网络没有偏置。"),
    "forward_intro": ("Each neuron adds up its weighted inputs plus its bias (the net input "
                      "net) and applies the activation function (the output out).",
                      "每个神经元先对输入加权求和再加上偏置，得到净输入 net，"
                      "再经过激活函数得到输出 out。"),
    "error_intro": ("Compare each output with its target:", "将每个输出与目标值比较："),
    "softmax_intro": ("Cross-entropy first turns the outputs into probabilities with the "
                      "softmax:", "交叉熵先用 softmax 把输出变成概率："),
    "total_error": ("The total error is the sum:", "总误差是各项之和："),
    "chain_intro": ("How much does a weight change the total error? The chain rule follows "
                    "the path from the weight to the error and multiplies the partial "
                    "derivatives along it: the error depends on out, out on net, net on "
                    "the weight.",
                    "一个权重对总误差有多大影响？链式法则沿着从权重到误差的路径，"
                    "把路径上的偏导数相乘：误差依赖 out，out 依赖 net，net 依赖权重。"),
    "delta_intro": ("δ = ∂E/∂net says how much a neuron is responsible for the error; "
                    "it is the product of the first two factors.",
                    "δ = ∂E/∂net 表示这个神经元对误差负有多少“责任”，"
                    "它是前两个因子的乘积。"),
    "dnet_dw": ("The last factor ∂net/∂w is the input that the weight multiplies, and "
                "∂net/∂b = 1.",
                "最后一个因子 ∂net/∂w 就是该权重所乘的输入，而 ∂net/∂b = 1。"),
    "neuron": ("Neuron {name}:", "神经元 {name}："),
    "hidden_intro": ("A hidden neuron's output feeds every neuron of the next layer, so its "
                     "∂E/∂out is a sum over those paths, each path contributing δ·w "
                     "(the error propagated back through the weights, e = Wᵀδ).",
                     "隐藏层神经元的输出会传给下一层的每个神经元，所以它的 ∂E/∂out "
                     "是所有路径之和，每条路径贡献 δ·w（误差沿权重反向传播，e = Wᵀδ）。"),
    "update_intro": ("Gradient descent moves every parameter against its gradient, scaled by "
                     "the learning rate η = {lr}. All gradients above use the weights before "
                     "the update.",
                     "梯度下降让每个参数沿梯度的反方向移动，步长由学习率 η = {lr} 决定。"
                     "上面所有梯度都使用更新之前的权重。"),
    "shared_intro": ("{name} is shared by several neurons; its gradient is the sum of their "
                     "shares:", "{name} 被多个神经元共用，它的梯度是各部分之和："),
    "matrix_intro": ("Layer by layer with vectors and matrices: a⁽⁰⁾ = x are the inputs, "
                     "W⁽ˡ⁾ (one row per neuron) and b⁽ˡ⁾ are layer l's weights and biases, "
                     "z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ the net inputs, a⁽ˡ⁾ = f(z⁽ˡ⁾) the outputs, "
                     "y the targets, δ⁽ˡ⁾ = ∂E/∂z⁽ˡ⁾ and ⊙ the element-wise product. Layer {L} "
                     "is the output layer.",
                     "按层用向量与矩阵书写：a⁽⁰⁾ = x 为输入，W⁽ˡ⁾（每个神经元一行）和 b⁽ˡ⁾ "
                     "为第 l 层的权重与偏置，z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ 为净输入，"
                     "a⁽ˡ⁾ = f(z⁽ˡ⁾) 为输出，y 为目标值，δ⁽ˡ⁾ = ∂E/∂z⁽ˡ⁾，⊙ 表示逐元素相乘。"
                     "第 {L} 层为输出层。"),
    "matrix_forward": ("Forward pass:", "前向传播："),
    "bp1": ("(BP1) the output layer's δ:", "（BP1）输出层的 δ："),
    "bp2": ("(BP2) δ of a hidden layer, from the layer above:",
            "（BP2）隐藏层的 δ，由上一层得到："),
    "bp3": ("(BP3) the gradient of the biases:", "（BP3）偏置的梯度："),
    "bp4": ("(BP4) the gradient of the weights:", "（BP4）权重的梯度："),
    "matrix_update": ("The update:", "更新："),
    "bp3_fixed": ("(these biases are fixed, so this gradient is not used)",
                  "（这些偏置固定不变，该梯度不被使用）"),
    "training_intro": ("Repeating forward pass, backward pass and update (each step uses the "
                       "one training sample):",
                       "不断重复前向传播、反向传播和更新（每一步都使用同一个训练样本）："),
    "step": ("step", "步数"),
    "total_error_col": ("total error E", "总误差 E"),
    "outputs_after": ("The outputs after {steps} (the targets are {targets}):",
                      "{steps}之后的输出（目标值为 {targets}）："),
    "checked": ("Every number above was computed by walking the chain rule neuron by "
                "neuron and checked against backprop's autograd engine (float64, "
                "relative difference ≤ 1e-12): {count} values.",
                "以上每个数都由逐个神经元的链式法则计算得出，并与 backprop 的自动微分引擎"
                "（float64，相对误差 ≤ 1e-12）逐一核对：共 {count} 个数值。"),
    "if_positive": ("if net > 0", "当 net > 0"),
    "if_not_positive": ("if net ≤ 0", "当 net ≤ 0"),
    # --- conv --------------------------------------------------------------------------
    "conv_title": ("a 2×2 kernel on a 4×4 image", "4×4 图像上的 2×2 卷积核"),
    "conv_intro": ("One channel, stride 1, no padding: the 2×2 kernel K slides over the "
                   "4×4 image X and gives a 3×3 output Y. The loss is "
                   "E = ½Σ(y − target)², the learning rate η = {lr}.",
                   "单通道，步长 1，无填充：2×2 卷积核 K 在 4×4 图像 X 上滑动，"
                   "得到 3×3 的输出 Y。损失函数为 E = ½Σ(y − target)²，学习率 η = {lr}。"),
    "conv_forward_intro": ("Like every deep-learning library, the layer computes a "
                           "cross-correlation (X ⋆ K): each output is the sum of the kernel "
                           "times the 2×2 patch under it, without flipping the kernel.",
                           "与所有深度学习框架一样，卷积层实际计算的是互相关（X ⋆ K）："
                           "每个输出等于卷积核与其覆盖的 2×2 区域逐元素相乘再求和，"
                           "卷积核不翻转。"),
    "conv_delta": ("δ = ∂E/∂Y = Y − T, one value per output:",
                   "δ = ∂E/∂Y = Y − T，每个输出一个值："),
    "conv_grad_k": ("3. Gradient of the kernel: the input correlated with δ",
                    "3. 卷积核的梯度：输入与 δ 的互相关"),
    "conv_grad_k_intro": ("Each kernel weight k_mn multiplies one input in every patch, so "
                          "∂E/∂k_mn = Σ δ_ij · x_(i+m−1)(j+n−1): sliding the 3×3 δ over the "
                          "image, ∂E/∂K = X ⋆ δ.",
                          "每个卷积核权重 k_mn 在每个区域中各乘一个输入，所以 "
                          "∂E/∂k_mn = Σ δ_ij · x_(i+m−1)(j+n−1)：把 3×3 的 δ 在图像上滑动，"
                          "∂E/∂K = X ⋆ δ。"),
    "conv_grad_x": ("4. Gradient of the input: full convolution of δ with the flipped kernel",
                    "4. 输入的梯度：δ 与翻转后卷积核的全卷积"),
    "conv_grad_x_intro": ("Each input x_pq touches the outputs whose patch covers it; "
                          "∂E/∂x_pq adds δ times the kernel weight that met x_pq. That is δ, "
                          "padded with a border of zeros, correlated with the kernel rotated "
                          "by 180°: ∂E/∂X = pad(δ) ⋆ rot180(K), a full convolution of δ "
                          "with K. This is the δ that a layer below would receive.",
                          "每个输入 x_pq 只影响覆盖它的那些输出；∂E/∂x_pq 把 δ 乘以与 x_pq "
                          "相遇的卷积核权重再求和。这等于把 δ 四周补零后与旋转 180° 的卷积核"
                          "做互相关：∂E/∂X = pad(δ) ⋆ rot180(K)，即 δ 与 K 的全卷积。"
                          "这就是传给下一层（更靠近输入的一层）的 δ。"),
    "conv_flipped": ("The padded δ and the flipped kernel:", "补零后的 δ 与翻转后的卷积核："),
    "conv_update": ("5. Updating the kernel", "5. 更新卷积核"),
    "conv_training": ("6. Training the kernel: the error after {steps}",
                      "6. 训练卷积核：{steps}之后的误差"),
    "kernel_after": ("The kernel after {steps}:", "{steps}之后的卷积核："),
    "conv_checked": ("Every number above was computed with explicit loops and checked against "
                     "backprop's autograd engine (float64, relative difference ≤ 1e-12): "
                     "{count} values.",
                     "以上每个数都由显式循环计算，并与 backprop 的自动微分引擎"
                     "（float64，相对误差 ≤ 1e-12）逐一核对：共 {count} 个数值。"),
    "image": ("The image X, the kernel K and the target T:", "图像 X、卷积核 K 与目标 T："),
    # --- rnn ---------------------------------------------------------------------------
    "rnn_title": ("a tiny RNN over {T} time steps (backpropagation through time)",
                  "{T} 个时间步的小型循环神经网络（随时间反向传播）"),
    "rnn_intro": ("One hidden unit with tanh: h_t = tanh(w_x·x_t + w_h·h_(t−1) + b), "
                  "h_0 = 0. The same three weights are used at every time step. The loss is "
                  "taken at the last step only: E = ½(h_{T} − target)². Learning rate η = {lr}.",
                  "一个使用 tanh 的隐藏单元：h_t = tanh(w_x·x_t + w_h·h_(t−1) + b)，h_0 = 0。"
                  "每个时间步都共用这三个权重。只在最后一个时间步计算损失："
                  "E = ½(h_{T} − target)²。学习率 η = {lr}。"),
    "rnn_forward": ("1. Forward pass, unrolled in time", "1. 前向传播（按时间展开）"),
    "rnn_backward": ("3. Backward pass through time", "3. 随时间反向传播（BPTT）"),
    "rnn_backward_intro": ("δ_t = ∂E/∂z_t. At the last step it comes from the loss; before "
                           "that it flows back through the recurrent weight: "
                           "∂E/∂h_(t−1) = δ_t·w_h, then δ_(t−1) = ∂E/∂h_(t−1)·(1 − h_(t−1)²).",
                           "δ_t = ∂E/∂z_t。在最后一个时间步它来自损失函数；之前的时间步，"
                           "它通过循环权重反向流动：∂E/∂h_(t−1) = δ_t·w_h，"
                           "然后 δ_(t−1) = ∂E/∂h_(t−1)·(1 − h_(t−1)²)。"),
    "rnn_time": ("Time step {t}:", "时间步 {t}："),
    "rnn_grads": ("4. Gradients: summed over the time steps", "4. 梯度：对所有时间步求和"),
    "rnn_grads_intro": ("Each weight is used at every step, so its gradient adds one term per "
                        "step (the chain rule's sum over every path from the weight to E).",
                        "每个权重在每个时间步都被使用，所以它的梯度是每个时间步一项之和"
                        "（链式法则对从权重到 E 的所有路径求和）。"),
    "rnn_vanish": ("The signal reaching step 1 has been multiplied by w_h·(1 − h_t²) once per "
                   "step it crossed, t = {T} down to 2. Factors below 1 shrink it over many "
                   "steps (vanishing gradients), factors above 1 make it grow (exploding "
                   "gradients).",
                   "传到第 1 步的信号每跨过一个时间步就乘一次 w_h·(1 − h_t²)（t 从 {T} 到 2）。"
                   "因子小于 1 时经过多步后信号会越来越小（梯度消失），"
                   "大于 1 时会越来越大（梯度爆炸）。"),
    "rnn_update": ("5. Updating the weights", "5. 更新权重"),
    "rnn_training": ("6. Training: the error after {steps}", "6. 训练：{steps}之后的误差"),
    "rnn_given": ("Inputs, initial weights and target:", "输入、初始权重与目标值："),
}


def steps_phrase(lang: str, steps: int) -> str:
    """"1 step", "10 steps" / "10 步"."""
    if lang == "zh":
        return f"{steps} 步"
    return f"{steps} step" if steps == 1 else f"{steps} steps"


def t(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` in ``lang``, formatted with ``values``."""
    if lang not in LANGS:
        raise ValueError(f"explain: lang must be one of {', '.join(LANGS)}, got {lang!r}")
    try:
        text = STRINGS[key][LANGS.index(lang)]
    except KeyError:
        raise KeyError(f"explain: no string {key!r}") from None
    return text.format(**values) if values else text
