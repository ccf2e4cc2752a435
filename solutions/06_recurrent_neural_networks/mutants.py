# Wrong implementations of lesson 06's exercises: each one must lose points (see docs/AUTHORING.md).

# %% mutant ex_rnn_cell: w_hh_not_transposed
# h_prev @ W_hh instead of h_prev @ W_hh.T: the recurrent weights read backwards
def rnn_cell(x_t, h_prev, W_xh, W_hh, b, nonlinearity="tanh"):
    a = x_t @ W_xh.T + h_prev @ W_hh + b
    if nonlinearity == "tanh":
        return np.tanh(a)
    if nonlinearity == "relu":
        return np.maximum(a, 0.0)
    raise ValueError(nonlinearity)

# %% mutant ex_rnn_cell: no_bias
def rnn_cell(x_t, h_prev, W_xh, W_hh, b, nonlinearity="tanh"):
    a = x_t @ W_xh.T + h_prev @ W_hh.T
    if nonlinearity == "tanh":
        return np.tanh(a)
    if nonlinearity == "relu":
        return np.maximum(a, 0.0)
    raise ValueError(nonlinearity)

# %% mutant ex_rnn_cell: always_tanh
# ignores the nonlinearity argument
def rnn_cell(x_t, h_prev, W_xh, W_hh, b, nonlinearity="tanh"):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(nonlinearity)
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b)

# %% mutant ex_rnn_cell: sigmoid_instead_of_tanh
def rnn_cell(x_t, h_prev, W_xh, W_hh, b, nonlinearity="tanh"):
    a = x_t @ W_xh.T + h_prev @ W_hh.T + b
    if nonlinearity == "tanh":
        return 1.0 / (1.0 + np.exp(-a))
    if nonlinearity == "relu":
        return np.maximum(a, 0.0)
    raise ValueError(nonlinearity)

# %% mutant ex_rnn_cell: forgets_previous_state
# a feed-forward layer: no recurrent term
def rnn_cell(x_t, h_prev, W_xh, W_hh, b, nonlinearity="tanh"):
    a = x_t @ W_xh.T + b
    if nonlinearity == "tanh":
        return np.tanh(a)
    if nonlinearity == "relu":
        return np.maximum(a, 0.0)
    raise ValueError(nonlinearity)

# %% mutant ex_rnn_forward: state_not_carried
# every step starts again from h0
def rnn_forward(X, h0, W_xh, W_hh, b, nonlinearity="tanh"):
    batch, steps, _ = X.shape
    h0 = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    states = [rnn_cell(X[:, t], h0, W_xh, W_hh, b, nonlinearity) for t in range(steps)]
    return np.stack(states, axis=1), states[-1]

# %% mutant ex_rnn_forward: stores_state_before_step
# H holds h_0 .. h_{T-1} instead of h_1 .. h_T
def rnn_forward(X, h0, W_xh, W_hh, b, nonlinearity="tanh"):
    batch, steps, _ = X.shape
    h = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    states = []
    for t in range(steps):
        states.append(h)
        h = rnn_cell(X[:, t], h, W_xh, W_hh, b, nonlinearity)
    return np.stack(states, axis=1), h

# %% mutant ex_rnn_forward: ignores_h0
def rnn_forward(X, h0, W_xh, W_hh, b, nonlinearity="tanh"):
    batch, steps, _ = X.shape
    h = np.zeros((batch, W_hh.shape[0]))
    states = []
    for t in range(steps):
        h = rnn_cell(X[:, t], h, W_xh, W_hh, b, nonlinearity)
        states.append(h)
    return np.stack(states, axis=1), h

# %% mutant ex_rnn_forward: returns_first_state
# h_last is h_1
def rnn_forward(X, h0, W_xh, W_hh, b, nonlinearity="tanh"):
    batch, steps, _ = X.shape
    h = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    states = []
    for t in range(steps):
        h = rnn_cell(X[:, t], h, W_xh, W_hh, b, nonlinearity)
        states.append(h)
    return np.stack(states, axis=1), states[0]

# %% mutant ex_rnn_backward: forgets_recurrent_term
# each step sees only the gradient from outside (truncated to one step)
def rnn_backward(dH, X, h0, H, W_xh, W_hh):
    batch, steps, _ = X.shape
    h0 = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    grads = {"dX": np.zeros_like(X), "dW_xh": np.zeros_like(W_xh), "dW_hh": np.zeros_like(W_hh),
             "db": np.zeros(W_hh.shape[0])}
    delta = np.zeros_like(h0)
    for t in reversed(range(steps)):
        h_prev = H[:, t - 1] if t > 0 else h0
        delta = dH[:, t] * (1.0 - H[:, t] ** 2)
        grads["dW_xh"] += delta.T @ X[:, t]
        grads["dW_hh"] += delta.T @ h_prev
        grads["db"] += delta.sum(axis=0)
        grads["dX"][:, t] = delta @ W_xh
    grads["dh0"] = delta @ W_hh
    return grads

# %% mutant ex_rnn_backward: uses_h_t_for_dW_hh
# dW_hh accumulates delta_t^T h_t instead of delta_t^T h_{t-1}
def rnn_backward(dH, X, h0, H, W_xh, W_hh):
    batch, steps, _ = X.shape
    h0 = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    grads = {"dX": np.zeros_like(X), "dW_xh": np.zeros_like(W_xh), "dW_hh": np.zeros_like(W_hh),
             "db": np.zeros(W_hh.shape[0])}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(steps)):
        delta = (dH[:, t] + dh_next) * (1.0 - H[:, t] ** 2)
        grads["dW_xh"] += delta.T @ X[:, t]
        grads["dW_hh"] += delta.T @ H[:, t]
        grads["db"] += delta.sum(axis=0)
        grads["dX"][:, t] = delta @ W_xh
        dh_next = delta @ W_hh
    grads["dh0"] = dh_next
    return grads

# %% mutant ex_rnn_backward: wrong_tanh_derivative
# 1 - h instead of 1 - h**2
def rnn_backward(dH, X, h0, H, W_xh, W_hh):
    batch, steps, _ = X.shape
    h0 = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    grads = {"dX": np.zeros_like(X), "dW_xh": np.zeros_like(W_xh), "dW_hh": np.zeros_like(W_hh),
             "db": np.zeros(W_hh.shape[0])}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(steps)):
        h_prev = H[:, t - 1] if t > 0 else h0
        delta = (dH[:, t] + dh_next) * (1.0 - H[:, t])
        grads["dW_xh"] += delta.T @ X[:, t]
        grads["dW_hh"] += delta.T @ h_prev
        grads["db"] += delta.sum(axis=0)
        grads["dX"][:, t] = delta @ W_xh
        dh_next = delta @ W_hh
    grads["dh0"] = dh_next
    return grads

# %% mutant ex_rnn_backward: weight_gradients_transposed
# x_t^T delta_t: shapes (input, hidden) and (hidden, hidden) transposed
def rnn_backward(dH, X, h0, H, W_xh, W_hh):
    batch, steps, _ = X.shape
    h0 = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    grads = {"dX": np.zeros_like(X), "dW_xh": np.zeros_like(W_xh.T), "dW_hh": np.zeros_like(W_hh),
             "db": np.zeros(W_hh.shape[0])}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(steps)):
        h_prev = H[:, t - 1] if t > 0 else h0
        delta = (dH[:, t] + dh_next) * (1.0 - H[:, t] ** 2)
        grads["dW_xh"] += X[:, t].T @ delta
        grads["dW_hh"] += h_prev.T @ delta
        grads["db"] += delta.sum(axis=0)
        grads["dX"][:, t] = delta @ W_xh
        dh_next = delta @ W_hh
    grads["dh0"] = dh_next
    return grads

# %% mutant ex_rnn_backward: recurrent_term_through_transposed_weights
# sends delta @ W_hh.T back to h_{t-1}
def rnn_backward(dH, X, h0, H, W_xh, W_hh):
    batch, steps, _ = X.shape
    h0 = np.zeros((batch, W_hh.shape[0])) if h0 is None else h0
    grads = {"dX": np.zeros_like(X), "dW_xh": np.zeros_like(W_xh), "dW_hh": np.zeros_like(W_hh),
             "db": np.zeros(W_hh.shape[0])}
    dh_next = np.zeros_like(h0)
    for t in reversed(range(steps)):
        h_prev = H[:, t - 1] if t > 0 else h0
        delta = (dH[:, t] + dh_next) * (1.0 - H[:, t] ** 2)
        grads["dW_xh"] += delta.T @ X[:, t]
        grads["dW_hh"] += delta.T @ h_prev
        grads["db"] += delta.sum(axis=0)
        grads["dX"][:, t] = delta @ W_xh
        dh_next = delta @ W_hh.T
    grads["dh0"] = dh_next
    return grads

# %% mutant ex_clip_grad_norm: clips_each_array
# every array clipped to max_norm on its own: the direction changes
def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    out = []
    for g in grads:
        norm = np.linalg.norm(g)
        out.append(g * (max_norm / norm) if norm > max_norm else g.copy())
    return out, total

# %% mutant ex_clip_grad_norm: clips_values
# np.clip on every entry (value clipping), not the norm
def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    return [np.clip(g, -max_norm, max_norm) for g in grads], total

# %% mutant ex_clip_grad_norm: always_rescales
# normalizes to max_norm even when the gradient is smaller
def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    return [g * (max_norm / total) for g in grads], total

# %% mutant ex_clip_grad_norm: returns_norm_after_clipping
def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = max_norm / total if total > max_norm else 1.0
    return [g * scale for g in grads], min(total, max_norm)

# %% mutant ex_clip_grad_norm: modifies_inputs_in_place
def clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return grads, total

# %% mutant ex_rnn_classifier: reads_padding_at_last_column
# output[:, -1] after padding: the state after the pads, not after the last word
class RNNClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, ids, lengths):
        output, _ = self.rnn(self.embedding(ids))
        return self.fc(output[:, -1])

# %% mutant ex_rnn_classifier: random_initial_state
# the notes' torch.randn initial state: predictions change from call to call
class RNNClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        h0 = torch.randn(1, ids.shape[0], self.rnn.hidden_size)
        _, h_n = self.rnn(packed, h0)
        return self.fc(h_n[-1])

# %% mutant ex_rnn_classifier: mean_pools_over_time
class RNNClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, ids, lengths):
        output, _ = self.rnn(self.embedding(ids))
        mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1).float()
        return self.fc((output * mask).sum(1) / lengths[:, None].float())

# %% mutant ex_rnn_classifier: requires_sorted_lengths
# pack_padded_sequence with its default enforce_sorted=True fails on unsorted batches
class RNNClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True)
        _, h_n = self.rnn(packed)
        return self.fc(h_n[-1])

# %% mutant ex_rnn_classifier: returns_probabilities
# softmax on top: CrossEntropyLoss would apply it twice
class RNNClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)
        return torch.softmax(self.fc(h_n[-1]), dim=1)

# %% mutant ex_rnn_classifier: first_time_step
class RNNClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, ids, lengths):
        output, _ = self.rnn(self.embedding(ids))
        return self.fc(output[:, 0])
