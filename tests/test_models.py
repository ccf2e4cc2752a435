"""seqnlp.models.RecurrentClassifier: shapes, padding, gate bias."""

import pytest
import torch
from torch import nn

from seqnlp.models import RecurrentClassifier, set_gate_bias


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_padding_does_not_change_the_logits(cell, layers, bidirectional):
    torch.manual_seed(0)
    model = RecurrentClassifier(20, 6, 5, 3, cell=cell, num_layers=layers, bidirectional=bidirectional).eval()
    short = torch.tensor([[4, 7, 9]])
    batch = torch.tensor([[4, 7, 9, 0, 0, 0], [3, 3, 5, 6, 8, 2]])
    alone = model(short, torch.tensor([3]))
    padded = model(batch, torch.tensor([3, 6]))
    assert padded.shape == (2, 3)
    assert torch.allclose(alone[0], padded[0], atol=1e-6), "the final state must come after the last real token"
    assert torch.allclose(model(batch[1:]), padded[1], atol=1e-6), "without lengths every position counts"


def test_final_state_is_the_classifiers_input():
    torch.manual_seed(1)
    model = RecurrentClassifier(10, 4, 3, 2, cell="gru", bidirectional=True).eval()
    ids = torch.tensor([[1, 2, 3, 4]])
    out, _ = model.rnn(model.embedding(ids))
    last = torch.cat([out[:, -1, :3], out[:, 0, 3:]], dim=1)  # forward after the end, backward after the start
    assert torch.allclose(model(ids, torch.tensor([4])), model.fc(last), atol=1e-6)


def test_gate_bias_and_errors():
    model = RecurrentClassifier(10, 4, 3, 2, cell="lstm", gate_bias=5.0, num_layers=2)
    for layer in range(2):
        total = getattr(model.rnn, f"bias_ih_l{layer}") + getattr(model.rnn, f"bias_hh_l{layer}")
        assert torch.all(total[3:6] == 5.0) and not torch.all(total[:3] == 5.0)
    gru = nn.GRU(4, 3)
    set_gate_bias(gru, 2.0)
    assert torch.all((gru.bias_ih_l0 + gru.bias_hh_l0)[3:6] == 2.0)
    with pytest.raises(TypeError):
        set_gate_bias(nn.RNN(4, 3), 1.0)
    with pytest.raises(ValueError, match="cell"):
        RecurrentClassifier(10, 4, 3, 2, cell="transformer")
