"""A character LSTM learns a short repeating text: next-character cross-entropy falls far
below the unigram entropy (what a model that ignores the context can reach)."""

import math
import time

import numpy as np

import backprop as bp
import backprop.nn.functional as F
from backprop import nn, optim

TEXT = "hello backprop, hello lstm! " * 40


class CharModel(nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, 16)
        self.lstm = nn.LSTM(16, 48, batch_first=True)
        self.head = nn.Linear(48, vocab)

    def forward(self, x):
        output, _ = self.lstm(self.embedding(x))
        return self.head(output)


def test_char_lstm_learns_repeating_text():
    start = time.perf_counter()
    chars = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in TEXT], dtype=np.int64)
    counts = np.bincount(ids, minlength=len(chars)) / len(ids)
    unigram_entropy = -float(np.sum(counts * np.log(counts)))  # nats, about 2.4 here

    bp.manual_seed(0)
    model = CharModel(len(chars))
    opt = optim.Adam(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    seq, batch = 24, 16
    losses = []
    for _ in range(120):
        starts = rng.integers(0, len(ids) - seq - 1, size=batch)
        x = np.stack([ids[s:s + seq] for s in starts])
        y = np.stack([ids[s + 1:s + seq + 1] for s in starts])
        logits = model(bp.tensor(x))
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), bp.tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    assert losses[0] > 0.9 * math.log(len(chars))  # starts near a uniform guess
    # The text is predictable from a few characters of context (except right after the
    # start of a window), so the loss ends far below what the character counts allow.
    assert np.mean(losses[-10:]) < 0.25 * unigram_entropy

    # greedy generation continues the text
    model.eval()
    with bp.no_grad():
        prompt = [index[c] for c in "hello back"]
        for _ in range(18):
            logits = model(bp.tensor(np.array([prompt])))
            prompt.append(int(logits[0, -1].argmax().item()))
    generated = "".join(chars[i] for i in prompt)
    assert generated.startswith("hello backprop, hello")
    assert time.perf_counter() - start < 60  # a few seconds on a laptop core
