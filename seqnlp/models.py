"""Recurrent text classifiers (lessons 06-08).

:class:`RecurrentClassifier` is lesson 06's ``RNNClassifier`` (Embedding -> RNN ->
Linear on the last hidden state) with the recurrent cell, depth and direction as
options, so that lesson 07 can compare cells of the same size and lesson 08 can
start from it::

    from seqnlp.models import RecurrentClassifier

    model = RecurrentClassifier(len(vocab), 100, 128, num_classes=3, cell="lstm", bidirectional=True)
    logits = model(ids, lengths)          # ids (batch, T) post-padded, lengths (batch,)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = ["CELLS", "RecurrentClassifier", "set_gate_bias"]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def set_gate_bias(rnn: nn.Module, value: float) -> None:
    """Start a gated layer remembering: LSTM forget-gate or GRU update-gate bias = ``value``.

    PyTorch adds ``bias_ih`` and ``bias_hh``; the gate's slice of ``bias_hh`` is
    set to ``value`` and that of ``bias_ih`` to zero, in every layer and
    direction. The gate is the second block of rows in both layouts (LSTM: i, f,
    g, o; GRU: r, z, n). With ``value = 5`` the gate starts at sigmoid(5) = 0.993: the
    cell keeps about half its memory over 100 steps instead of 0.5**100 of it.
    """
    if not isinstance(rnn, (nn.LSTM, nn.GRU)):
        raise TypeError(f"only LSTM and GRU layers have a forget/update gate, not {type(rnn).__name__}")
    hidden = rnn.hidden_size
    with torch.no_grad():
        for name, param in rnn.named_parameters():
            if name.startswith("bias_ih"):
                param[hidden : 2 * hidden] = 0.0
            elif name.startswith("bias_hh"):
                param[hidden : 2 * hidden] = value


class RecurrentClassifier(nn.Module):
    """Embedding -> RNN/LSTM/GRU -> Linear on the final hidden state (many-to-one).

    ``forward(ids, lengths=None)``: ``ids`` (batch, T) int64, padded after the
    tokens (``padding="post"``); ``lengths`` (batch,) the real lengths. With
    lengths the batch is packed, so the final state is the one after each
    sequence's last real token; without them every position counts. The
    initial state is zero. A bidirectional model concatenates the final
    forward state (after the last token) and the final backward state (after
    the first token). Returns ``(batch, num_classes)`` logits.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "rnn",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        padding_idx: int = 0,
        gate_bias: float | None = None,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {cell!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = CELLS[cell](
            embed_dim,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
        )
        if gate_bias is not None:
            set_gate_bias(self.rnn, gate_bias)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embedding(ids)
        if lengths is not None:
            x = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.rnn(x)
        h_n = state[0] if self.cell == "lstm" else state
        if self.rnn.bidirectional:
            last = torch.cat([h_n[-2], h_n[-1]], dim=1)  # the top layer's forward and backward states
        else:
            last = h_n[-1]
        return self.fc(self.dropout(last))
