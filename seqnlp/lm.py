"""Word-level neural language models (taught in lesson 07).

The data conventions are lesson 02's, so that perplexities compare directly with its
n-gram models: Brown sentences, lowercased, shuffled with the course seed and split
90 % / 10 %; the vocabulary is the training words seen at least twice plus ``<unk>``
and ``</s>``; every word and every ``</s>`` of the held-out text is predicted once.

A corpus becomes one stream of word ids, ``</s> w1 w2 ... </s> w1 ... </s>``: the first
``</s>`` is only a context (it plays ``<s>``), every later token is a target. Training
uses truncated back-propagation through time over :func:`lm_batches` chunks::

    train_raw, heldout = brown_split(seed=0)
    itos = lm_vocab(train_raw)
    stoi = {w: i for i, w in enumerate(itos)}
    model = LSTMLanguageModel(len(itos), embed_dim=256, hidden_size=256)
    history = train_lm(model, encode_stream(train_raw, stoi), batch_size=32, seq_len=35, budget_s=600)
    lm_perplexity(*evaluate_lm(model, encode_stream(heldout, stoi)))

The output layer is a full softmax (weights tied to the embedding) for small
vocabularies and an adaptive softmax (Grave et al., 2017) for large ones: both give a
normalized distribution over the whole vocabulary, so the perplexity is exact.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from .exercises import exercise
from .ngrams import EOS, UNK

__all__ = [
    "BROWN_LM",
    "LSTMLanguageModel",
    "brown_split",
    "encode_stream",
    "evaluate_lm",
    "generate",
    "lm_batches",
    "lm_perplexity",
    "lm_vocab",
    "sample_next",
    "train_lm",
    "training_clock",
]


# --------------------------------------------------------------------------- settings

# The Brown LSTM language model of lesson 07 and benchmarks/bench_07_lm.py, per mode: the data
# (categories None = all 15; train_sentences None = all), the model's and train_lm's arguments.
# "lesson" overrides "train" in the notebook only: in full mode the lesson trains for a quarter of
# the benchmark's budget, so that the whole notebook stays within its time (the benchmark keeps 600 s).
BROWN_LM: dict[str, dict[str, Any]] = {
    "full": {
        "categories": None,
        "train_sentences": None,
        "model": {"embed_dim": 256, "hidden_size": 256, "dropout": 0.0, "cutoffs": (2000, 10000)},
        "train": {"batch_size": 24, "seq_len": 35, "lr": 3e-3, "final_lr": 1e-4, "clip": 1.0, "budget_s": 600.0},
        "lesson": {"budget_s": 150.0},
    },
    "fast": {
        "categories": ["news"],
        "train_sentences": 600,
        "model": {"embed_dim": 32, "hidden_size": 32, "dropout": 0.0, "cutoffs": (2000,)},
        "train": {"batch_size": 8, "seq_len": 20, "lr": 5e-3, "final_lr": 1e-3, "max_steps": 40},
        "lesson": {},
    },
}


# --------------------------------------------------------------------------- data


def brown_split(seed: int = 0, categories: Sequence[str] | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """Lesson 02's split: Brown sentences lowercased, shuffled with ``random.Random(seed)``, 90 % / 10 %."""
    from .data import nltk_corpus

    brown = nltk_corpus("brown")
    sentences = [[w.lower() for w in s] for s in brown.sents(categories=categories)]
    random.Random(seed).shuffle(sentences)
    cut = int(0.9 * len(sentences))
    return sentences[:cut], sentences[cut:]


def lm_vocab(sentences: Sequence[Sequence[str]], min_count: int = 2) -> list[str]:
    """Lesson 02's vocabulary as a list: the words seen ``min_count`` times or more (sorted), ``<unk>``, ``</s>``."""
    freq = Counter(w for s in sentences for w in s)
    words = sorted(w for w, c in freq.items() if c >= min_count and w not in (UNK, EOS))
    return words + [UNK, EOS]


def encode_stream(sentences: Sequence[Sequence[str]], stoi: dict[str, int]) -> torch.Tensor:
    """``</s>`` then each sentence's word ids followed by ``</s>``, unknown words as ``<unk>`` (int64, 1-D)."""
    unk, eos = stoi[UNK], stoi[EOS]
    ids = [eos]
    for sentence in sentences:
        ids.extend(stoi.get(w, unk) for w in sentence)
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.int64)


# --------------------------------------------------------------------------- the exercises' answers


@exercise("07_lstm_gru", "ex_lm_batches")
def lm_batches(ids: Any, batch_size: int, seq_len: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Truncated-BPTT chunks ``(inputs, targets)`` of a 1-D id stream, targets = inputs shifted by one.

    The ``len(ids) - 1`` (input, target) pairs are cut into ``batch_size`` rows of
    ``L = (len(ids) - 1) // batch_size`` consecutive pairs (the last ``(len(ids) - 1) % batch_size``
    pairs are dropped); each row is cut into chunks of ``seq_len`` steps, the last one shorter.
    """
    ids = torch.as_tensor(ids, dtype=torch.int64).reshape(-1)
    rows = (len(ids) - 1) // batch_size if len(ids) > 1 else 0
    if rows == 0:
        return []
    inputs = ids[: batch_size * rows].reshape(batch_size, rows)
    targets = ids[1 : batch_size * rows + 1].reshape(batch_size, rows)
    return [(inputs[:, t : t + seq_len], targets[:, t : t + seq_len]) for t in range(0, rows, seq_len)]


@exercise("07_lstm_gru", "ex_lm_perplexity")
def lm_perplexity(batch_losses: Sequence[float], batch_tokens: Sequence[int], base: float = math.e) -> float:
    """``base ** (sum_b loss_b * n_b / sum_b n_b)``: perplexity from mean per-token losses in log base ``base``."""
    total = sum(int(n) for n in batch_tokens)
    if len(batch_losses) != len(batch_tokens) or total <= 0:
        raise ValueError("need one token count per batch loss, and at least one token")
    mean = sum(float(loss) * int(n) for loss, n in zip(batch_losses, batch_tokens, strict=True)) / total
    return float(base**mean)


@exercise("07_lstm_gru", "ex_sample_next")
def sample_next(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> int:
    """One token id drawn from ``softmax(logits / temperature)``; the (first) argmax when ``temperature == 0``."""
    if temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


# --------------------------------------------------------------------------- the model


class LSTMLanguageModel(nn.Module):
    """Embedding, dropout, an LSTM, dropout, and a softmax over the vocabulary.

    ``cutoffs=None`` (or a vocabulary smaller than the first cutoff): a full softmax whose
    weights are tied to the embedding (``embed_dim`` must equal ``hidden_size``). Otherwise an
    adaptive softmax with those cutoffs, exact as well but much cheaper for a large vocabulary.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, cutoffs: Sequence[int] | None = None, div_value: float = 4.0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        cutoffs = [c for c in (cutoffs or []) if 0 < c < vocab_size - 1]
        if cutoffs:
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(hidden_size, vocab_size, cutoffs, div_value=div_value)
            self.decoder = None
        else:
            if embed_dim != hidden_size:
                raise ValueError("a tied softmax needs embed_dim == hidden_size")
            self.adaptive = None
            self.decoder = nn.Linear(hidden_size, vocab_size)
            self.decoder.weight = self.embedding.weight  # tied embeddings (Press and Wolf, 2017)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)

    def forward(self, inputs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Hidden states ``(batch, time, hidden)`` (after dropout) and the LSTM's final state."""
        out, state = self.lstm(self.drop(self.embedding(inputs)), state)
        return self.drop(out), state

    def log_probs(self, hidden: torch.Tensor) -> torch.Tensor:
        """``ln P(w | h)`` for every word of the vocabulary: ``(..., vocab_size)``."""
        flat = hidden.reshape(-1, hidden.shape[-1])
        logp = self.adaptive.log_prob(flat) if self.adaptive is not None else torch.log_softmax(self.decoder(flat), -1)
        return logp.reshape(*hidden.shape[:-1], self.vocab_size)

    def nll(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood (nats per token) of ``targets`` given the hidden states."""
        flat, flat_t = hidden.reshape(-1, hidden.shape[-1]), targets.reshape(-1)
        if self.adaptive is not None:
            return -self.adaptive(flat, flat_t).output.mean()
        return nn.functional.cross_entropy(self.decoder(flat), flat_t)


def _detach(state: Any) -> Any:
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


# --------------------------------------------------------------------------- training and evaluation


def training_clock(device: Any = "cpu") -> Callable[[], float]:
    """Seconds of training so far, as the budget counts them.

    On a GPU: wall-clock seconds. On the CPU: the process's CPU time divided by PyTorch's thread
    count, i.e. the seconds the run would take on that many cores of its own; on a shared machine
    wall time overstates the work, and spin-waiting threads make this an over-estimate too.
    """
    if torch.device(device).type != "cpu":
        return time.perf_counter
    threads = max(1, torch.get_num_threads())
    return lambda: time.process_time() / threads


def train_lm(model: LSTMLanguageModel, train_ids: torch.Tensor, *, batch_size: int = 32, seq_len: int = 35,
             lr: float = 2e-3, final_lr: float = 1e-4, clip: float = 0.25, budget_s: float | None = None,
             max_steps: int | None = None, device: Any = "cpu", batches: Callable | None = None,
             clock: Callable[[], float] | None = None, log_every: int = 100, progress: bool = False) -> dict:
    """Adam with gradient clipping over truncated-BPTT chunks, until ``budget_s`` seconds or ``max_steps`` updates.

    The learning rate follows a cosine from ``lr`` to ``final_lr`` over the budget (whichever of the
    two limits is nearer). The state is carried from chunk to chunk (detached) and reset each epoch.
    Returns ``{"steps", "tokens", "epochs", "seconds", "wall_seconds", "losses": [(step, loss)]}``.
    """
    if budget_s is None and max_steps is None:
        raise ValueError("give budget_s, max_steps or both")
    batches = batches or lm_batches
    clock = clock or training_clock(device)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    chunks = batches(train_ids, batch_size, seq_len)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_steps if budget_s is None else int(budget_s), desc="training (s)" if budget_s else "steps")
    start, wall0 = clock(), time.perf_counter()
    steps = tokens = epoch = 0
    losses, running = [], []
    done = False
    while not done:
        state = None
        for inputs, targets in chunks:
            fraction = max((clock() - start) / budget_s if budget_s else 0.0,
                           steps / max_steps if max_steps else 0.0)
            if fraction >= 1.0:
                done = True
                break
            for group in optimizer.param_groups:
                group["lr"] = final_lr + 0.5 * (lr - final_lr) * (1 + math.cos(math.pi * fraction))
            inputs, targets = inputs.to(device), targets.to(device)
            hidden, state = model(inputs, state)
            loss = model.nll(hidden, targets)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            state = _detach(state)
            steps += 1
            tokens += targets.numel()
            running.append(loss.item())
            if steps % log_every == 0:
                losses.append((steps, sum(running) / len(running)))
                running = []
            if bar is not None:
                bar.n = steps if budget_s is None else min(int(clock() - start), int(budget_s))
                bar.refresh()
        else:
            epoch += 1
    if running:
        losses.append((steps, sum(running) / len(running)))
    if bar is not None:
        bar.close()
    per_epoch = max(1, sum(t.numel() for _, t in chunks))
    return {"steps": steps, "tokens": tokens, "epochs": tokens / per_epoch,
            "seconds": clock() - start, "wall_seconds": time.perf_counter() - wall0, "losses": losses}


@torch.no_grad()
def evaluate_lm(model: LSTMLanguageModel, ids: torch.Tensor, *, seq_len: int = 256, device: Any = "cpu",
                batches: Callable | None = None) -> tuple[list[float], list[int]]:
    """Mean NLL (nats per token) of each chunk and its number of tokens, one stream (batch 1): every target once."""
    batches = batches or lm_batches
    model.to(device).eval()
    state, losses, counts = None, [], []
    for inputs, targets in batches(ids, 1, seq_len):
        hidden, state = model(inputs.to(device), state)
        losses.append(float(model.nll(hidden, targets.to(device))))
        counts.append(int(targets.numel()))
    return losses, counts


@torch.no_grad()
def generate(model: LSTMLanguageModel, itos: Sequence[str], *, temperature: float, generator: torch.Generator,
             max_words: int = 30, start: Sequence[str] = (), sample: Callable | None = None,
             device: Any = "cpu") -> list[str]:
    """Words drawn one at a time after ``</s>`` and ``start``, until ``</s>`` or ``max_words``."""
    sample = sample or sample_next
    stoi = {w: i for i, w in enumerate(itos)}
    model.to(device).eval()
    context = [stoi[EOS]] + [stoi.get(w, stoi[UNK]) for w in start]
    hidden, state = model(torch.tensor([context], device=device))
    words = list(start)
    for _ in range(max_words):
        logp = model.log_probs(hidden[:, -1])[0].cpu()
        token = sample(logp, temperature, generator)
        if itos[token] == EOS:
            break
        words.append(itos[token])
        hidden, state = model(torch.tensor([[token]], device=device), state)
    return words
