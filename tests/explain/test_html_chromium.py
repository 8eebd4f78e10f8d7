"""The HTML page, opened offline in headless Chromium (Debian's `chromium`), renders.

Skipped only when no Chromium is installed (`apt-get install -y chromium`; add
`fonts-wqy-zenhei` or `fonts-noto-cjk` for the Chinese glyphs). The screenshot is
checked for what a reader sees: the blue rule under the title, dark text, and the
green of the results, which appear only when the MathML and the inline CSS render.
Set EXPLAIN_SCREENSHOTS=DIR to keep the PNGs.
"""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import backprop as bp

CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome")
                 if (path := shutil.which(name))), None)
WIDTH, HEIGHT = 1200, 2000


def screenshot(html: str, tmp_path: Path, name: str) -> np.ndarray:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png = tmp_path / f"{name}.png"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri()]
    subprocess.run(command, check=True, timeout=180, capture_output=True)
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("EXPLAIN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    from matplotlib.image import imread

    return (imread(png)[..., :3] * 255).round().astype(int)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
@pytest.mark.parametrize("example, lang", [("mazur", "en"), ("rnn", "zh")])
def test_html_renders_in_headless_chromium(tmp_path, example, lang):
    image = screenshot(str(bp.explain(example, format="html", lang=lang)), tmp_path,
                       f"{example}_{lang}")
    assert image.shape == (HEIGHT, WIDTH, 3)
    red, green, blue = image[..., 0], image[..., 1], image[..., 2]
    dark = (red < 90) & (green < 90) & (blue < 90)
    assert dark[:200].sum() > 500, "no title text at the top"
    assert dark.mean() > 0.01, "hardly any text on the page"
    rule = (abs(red - 0x2B) < 30) & (abs(green - 0x6C) < 30) & (abs(blue - 0xB0) < 30)
    assert rule[:200].sum() > WIDTH // 2, "the title's blue rule is missing"
    result = (abs(red - 0x0F) < 40) & (abs(green - 0x7B) < 40) & (abs(blue - 0x3F) < 40)
    assert result.sum() > 2000, "no green result numbers: MathML or CSS did not render"
