"""``bp.explain``: backpropagation written out with every number, checked by autograd.

    >>> import backprop as bp
    >>> text = bp.explain("mazur")                      # the rendered explanation (a str)
    >>> round(text.derivation.grads["w5"], 9)           # and the numbers behind it
    0.082167041
    >>> "net_h1 = w1·i1 + w2·i2 + b1·1" in text
    True

``bp.explain(model_or_name, inputs=..., targets=..., loss=..., lr=..., steps=...,
lang="en"|"zh", format="text"|"markdown"|"html")`` explains

* a built-in example: ``"mazur"``, ``"nobias"``, ``"conv"`` or ``"rnn"``;
* a JSON/TOML spec file (or the same as a dict), see :mod:`.spec`;
* an ``nn.Sequential`` of ``Linear`` layers with ``Sigmoid``/``Tanh``/``ReLU``/
  ``Identity`` activations, on one sample ``inputs`` with ``targets``.

Every printed number comes from a chain-rule walk over single neurons
(:mod:`.derivation`, :mod:`.conv`, :mod:`.rnn`) and is compared with the
autograd engine in float64 (:mod:`.verify`); a disagreement raises
:class:`ExplainCheckError` and nothing is rendered.

``bp.explain`` is this module: calling it calls :func:`explain`.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from .builtins import BUILTINS
from .conv import ConvDerivation, ConvProblem, derive_conv
from .derivation import DenseDerivation, derive
from .document import Document
from .i18n import LANGS
from .network import DenseProblem, problem_from_module
from .rnn import RNNDerivation, RNNProblem, derive_rnn
from .spec import load_spec, problem_from_spec
from .verify import ExplainCheckError, check_conv, check_dense, check_rnn

FORMATS = ("text", "markdown", "html")
Derivation = DenseDerivation | ConvDerivation | RNNDerivation


class Explanation(str):
    """The rendered explanation (a ``str``) that also carries its numbers.

    Attributes:
        derivation: the numbers (:class:`~.derivation.DenseDerivation`,
            :class:`~.conv.ConvDerivation` or :class:`~.rnn.RNNDerivation`).
        checked: how many values were compared with the autograd engine.
        lang, output_format: how it was rendered.
    """

    derivation: Any
    checked: int
    lang: str
    output_format: str

    def __new__(cls, text: str, derivation: Any, checked: int, lang: str,
                output_format: str) -> Explanation:
        obj = super().__new__(cls, text)
        obj.derivation, obj.checked = derivation, checked
        obj.lang, obj.output_format = lang, output_format
        return obj

    @property
    def grads(self) -> dict[str, float]:
        """∂E/∂parameter of the first pass, by parameter name."""
        d = self.derivation
        if isinstance(d, ConvDerivation):
            return {f"k{m + 1}{n + 1}": g for m, r in enumerate(d.grad_kernel)
                    for n, g in enumerate(r)}
        return dict(d.grads)

    def document(self, lang: str | None = None) -> Document:
        """The explanation as a :class:`~.document.Document` (to render another way)."""
        return narrate(self.derivation, lang or self.lang, self.checked)

    def render(self, format: str | None = None, lang: str | None = None,  # noqa: A002
               color: bool = False) -> str:
        """The same explanation in another format or language."""
        return render(self.document(lang), format or self.output_format, color)


def narrate(derivation: Any, lang: str = "en", checked: int = 0) -> Document:
    """The derivation written as a document in ``lang``."""
    from .narrate_conv import narrate_conv
    from .narrate_dense import narrate_dense
    from .narrate_rnn import narrate_rnn

    if lang not in LANGS:
        raise ValueError(f"explain: lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if isinstance(derivation, ConvDerivation):
        return narrate_conv(derivation, lang, checked)
    if isinstance(derivation, RNNDerivation):
        return narrate_rnn(derivation, lang, checked)
    return narrate_dense(derivation, lang, checked)


def render(doc: Document, format: str = "text", color: bool = False) -> str:  # noqa: A002
    """A document as ``text`` (ANSI colour if ``color``), ``markdown`` or ``html``."""
    if format == "text":
        from .render_text import render_text

        return render_text(doc, color)
    if format == "markdown":
        from .render_markdown import render_markdown

        return render_markdown(doc)
    if format == "html":
        from .render_html import render_html

        return render_html(doc)
    raise ValueError(f"explain: format must be one of {', '.join(FORMATS)}, got {format!r}")


def problem_of(model_or_name: Any, inputs: Any = None, targets: Any = None, *,
               loss: str | None = None, lr: float | None = None,
               steps: int | None = None) -> DenseProblem | ConvProblem | RNNProblem:
    """What :func:`explain` will explain, before any number is computed."""
    options: dict[str, Any] = {k: v for k, v in (("loss", loss), ("lr", lr), ("steps", steps))
                               if v is not None}
    if isinstance(model_or_name, str | Path):
        name = str(model_or_name)
        if name in BUILTINS:
            if name in ("conv", "rnn"):
                if inputs is not None or targets is not None or loss is not None:
                    raise ValueError(f"explain: the {name!r} example has fixed inputs, "
                                     "targets and loss; only lr and steps can be changed")
                return BUILTINS[name](lr=lr, steps=1 if steps is None else steps)  # type: ignore[no-any-return]
            if inputs is not None:
                options["inputs"] = inputs
            if targets is not None:
                options["targets"] = targets
            return BUILTINS[name](**options)  # type: ignore[no-any-return]
        if name.lower().endswith((".json", ".toml")) or Path(name).exists():
            return load_spec(name, **options)
        raise ValueError(f"explain: {name!r} is neither a built-in example "
                         f"({', '.join(BUILTINS)}) nor a .json/.toml spec file")
    if isinstance(model_or_name, dict):
        return problem_from_spec(model_or_name, **options)
    if inputs is None or targets is None:
        raise ValueError("explain: a model needs one training sample: inputs=... and targets=...")
    return problem_from_module(model_or_name, inputs, targets,
                               **{"loss": "mse_half", "lr": 0.5, "steps": 1, **options})


def derive_and_check(problem: DenseProblem | ConvProblem | RNNProblem) -> tuple[Derivation, int]:
    """Walk the chain rule by hand, then check every number with the engine."""
    if isinstance(problem, ConvProblem):
        conv = derive_conv(problem)
        return conv, check_conv(conv)
    if isinstance(problem, RNNProblem):
        rnn = derive_rnn(problem)
        return rnn, check_rnn(rnn)
    dense = derive(problem)
    return dense, check_dense(dense)


def explain(model_or_name: Any, inputs: Any = None, targets: Any = None, *,
            loss: str | None = None, lr: float | None = None, steps: int | None = None,
            lang: str = "en", format: str = "text", color: bool = False) -> Explanation:  # noqa: A002
    """Backpropagation on ``model_or_name`` written out step by step.

    Args:
        model_or_name: ``"mazur"``, ``"nobias"``, ``"conv"``, ``"rnn"``, a path to a
            ``.json``/``.toml`` spec, a spec dict, or an ``nn.Sequential`` of ``Linear``
            and activation layers.
        inputs, targets: one training sample (needed for a model; optional overrides
            for ``mazur``/``nobias``).
        loss: ``"mse_half"`` (E = ½Σ(target − out)², the default), ``"mse"`` (mean),
            ``"cross_entropy"`` (softmax over the outputs) or ``"bce"``.
        lr: learning rate η (default 0.5; 0.03 for ``conv``).
        steps: gradient-descent steps whose errors are reported (default 1).
        lang: ``"en"`` or ``"zh"``.
        format: ``"text"``, ``"markdown"`` or ``"html"``.
        color: ANSI colours in text (for a terminal).

    Returns:
        :class:`Explanation`: the rendered string, with ``.derivation`` (the numbers),
        ``.grads`` and ``.checked``.

    Raises:
        ExplainCheckError: the hand walk and the autograd engine disagree (never printed).
        ValueError: a bad network, spec or option (the message says which).
    """
    if format not in FORMATS:
        raise ValueError(f"explain: format must be one of {', '.join(FORMATS)}, got {format!r}")
    if lang not in LANGS:
        raise ValueError(f"explain: lang must be one of {', '.join(LANGS)}, got {lang!r}")
    problem = problem_of(model_or_name, inputs, targets, loss=loss, lr=lr, steps=steps)
    derivation, checked = derive_and_check(problem)
    text = render(narrate(derivation, lang, checked), format, color)
    return Explanation(text, derivation, checked, lang, format)


class _CallableModule(types.ModuleType):
    """Lets ``bp.explain(...)`` call :func:`explain` while ``bp.explain.spec`` stays a module."""

    def __call__(self, *args: Any, **kwargs: Any) -> Explanation:
        return explain(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["explain", "Explanation", "ExplainCheckError", "narrate", "render", "problem_of",
           "derive_and_check", "BUILTINS", "FORMATS"]
