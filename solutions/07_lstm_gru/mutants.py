# Wrong implementations of lesson 07's exercises: each one must lose points (see docs/AUTHORING.md).

# %% mutant ex_lstm_cell: tanh_on_forget_gate
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), np.tanh(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_lstm_cell: input_and_forget_swapped
# reads the blocks in the order f, i, g, o
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_f, z_i, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_lstm_cell: gate_order_ifog
# Keras-like order i, f, o, g instead of PyTorch's i, f, g, o
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_i, z_f, z_o, z_g = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_lstm_cell: cell_without_forget_gate
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = c_prev + i * g
    return o * np.tanh(c_t), c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_lstm_cell: hidden_without_tanh
# h_t = o_t * c_t
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    return o * c_t, c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_lstm_cell: sigmoid_candidate
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_lstm_cell: recurrent_weights_transposed
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    z_x = x_t @ W_ih.T + b_ih
    z_h = np.concatenate([h_prev @ block for block in np.split(W_hh, 4, axis=0)], axis=1) + b_hh
    z_i, z_f, z_g, z_o = np.split(z_x + z_h, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t, {"i": i, "f": f, "g": g, "o": o}

# %% mutant ex_gru_cell: interpolation_reversed
# h_t = z * n + (1 - z) * h_prev: the other notes' convention, not PyTorch's
def gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    h_r, h_z, h_n = np.split(h_prev @ W_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return z * n + (1.0 - z) * h_prev, {"r": r, "z": z, "n": n}

# %% mutant ex_gru_cell: reset_before_matmul
# n = tanh(W_in x + b_in + W_hn (r * h) + b_hn): Cho's formulation (Keras reset_after=False)
def gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    h_r, h_z, _ = np.split(h_prev @ W_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1.0 - z) * n + z * h_prev, {"r": r, "z": z, "n": n}

# %% mutant ex_gru_cell: reset_and_update_swapped
# blocks read as z, r, n
def gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    x_z, x_r, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    h_z, h_r, h_n = np.split(h_prev @ W_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev, {"r": r, "z": z, "n": n}

# %% mutant ex_gru_cell: reset_misses_recurrent_bias
# r * (W_hn h) + b_hn: the bias stays outside the reset gate
def gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    h_r, h_z, _ = np.split(h_prev @ W_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * (h_prev @ W_hh[2 * H:].T) + b_hh[2 * H:])
    return (1.0 - z) * n + z * h_prev, {"r": r, "z": z, "n": n}

# %% mutant ex_gru_cell: tanh_on_update_gate
def gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    h_r, h_z, h_n = np.split(h_prev @ W_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + h_r), np.tanh(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev, {"r": r, "z": z, "n": n}

# %% mutant ex_lstm_forward: cell_state_not_carried
# the cell state restarts from c0 at every step
def lstm_forward(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    batch, hidden = X.shape[0], W_hh.shape[1]
    h = np.zeros((batch, hidden)) if h0 is None else h0
    c0 = np.zeros((batch, hidden)) if c0 is None else c0
    outputs = []
    for t in range(X.shape[1]):
        h, c, _ = lstm_cell(X[:, t], h, c0, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), (h, c)

# %% mutant ex_lstm_forward: outputs_cell_states
def lstm_forward(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    batch, hidden = X.shape[0], W_hh.shape[1]
    h = np.zeros((batch, hidden)) if h0 is None else h0
    c = np.zeros((batch, hidden)) if c0 is None else c0
    outputs = []
    for t in range(X.shape[1]):
        h, c, _ = lstm_cell(X[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(c)
    return np.stack(outputs, axis=1), (h, c)

# %% mutant ex_lstm_forward: h_and_c_swapped_between_steps
def lstm_forward(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    batch, hidden = X.shape[0], W_hh.shape[1]
    h = np.zeros((batch, hidden)) if h0 is None else h0
    c = np.zeros((batch, hidden)) if c0 is None else c0
    outputs = []
    for t in range(X.shape[1]):
        c, h, _ = lstm_cell(X[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(c)
    return np.stack(outputs, axis=1), (c, h)

# %% mutant ex_lstm_forward: ignores_initial_states
def lstm_forward(X, h0, c0, W_ih, W_hh, b_ih, b_hh):
    batch, hidden = X.shape[0], W_hh.shape[1]
    h, c = np.zeros((batch, hidden)), np.zeros((batch, hidden))
    outputs = []
    for t in range(X.shape[1]):
        h, c, _ = lstm_cell(X[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), (h, c)

# %% mutant ex_gru_forward: state_not_carried
def gru_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    h0 = np.zeros((X.shape[0], W_hh.shape[1])) if h0 is None else h0
    outputs = [gru_cell(X[:, t], h0, W_ih, W_hh, b_ih, b_hh)[0] for t in range(X.shape[1])]
    return np.stack(outputs, axis=1), outputs[-1]

# %% mutant ex_gru_forward: stores_state_before_step
def gru_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    h = np.zeros((X.shape[0], W_hh.shape[1])) if h0 is None else h0
    outputs = []
    for t in range(X.shape[1]):
        outputs.append(h)
        h, _ = gru_cell(X[:, t], h, W_ih, W_hh, b_ih, b_hh)
    return np.stack(outputs, axis=1), h

# %% mutant ex_gru_forward: ignores_h0
def gru_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    h = np.zeros((X.shape[0], W_hh.shape[1]))
    outputs = []
    for t in range(X.shape[1]):
        h, _ = gru_cell(X[:, t], h, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), h

# %% mutant ex_gru_forward: returns_first_state
def gru_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    h = np.zeros((X.shape[0], W_hh.shape[1])) if h0 is None else h0
    outputs = []
    for t in range(X.shape[1]):
        h, _ = gru_cell(X[:, t], h, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), outputs[0]

# %% mutant ex_recurrent_forward: backward_outputs_not_flipped_back
def recurrent_forward(X, weights, kind, num_layers=1, bidirectional=False, h0=None, c0=None):
    suffixes = ["", "_reverse"] if bidirectional else [""]
    hidden = weights["weight_hh_l0"].shape[1]
    zeros = np.zeros((num_layers * len(suffixes), X.shape[0], hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    layer_input, h_n, c_n = X, [], []
    for layer in range(num_layers):
        outputs = []
        for d, suffix in enumerate(suffixes):
            k = layer * len(suffixes) + d
            W = [weights[f"{name}_l{layer}{suffix}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            seq = layer_input[:, ::-1] if suffix else layer_input
            if kind == "lstm":
                out, (h, c) = lstm_forward(seq, h0[k], c0[k], *W)
                c_n.append(c)
            else:
                out, h = gru_forward(seq, h0[k], *W)
            outputs.append(out)
            h_n.append(h)
        layer_input = np.concatenate(outputs, axis=2)
    if kind == "lstm":
        return layer_input, (np.stack(h_n), np.stack(c_n))
    return layer_input, np.stack(h_n)

# %% mutant ex_recurrent_forward: backward_direction_reads_forward
# the reverse weights run left to right
def recurrent_forward(X, weights, kind, num_layers=1, bidirectional=False, h0=None, c0=None):
    suffixes = ["", "_reverse"] if bidirectional else [""]
    hidden = weights["weight_hh_l0"].shape[1]
    zeros = np.zeros((num_layers * len(suffixes), X.shape[0], hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    layer_input, h_n, c_n = X, [], []
    for layer in range(num_layers):
        outputs = []
        for d, suffix in enumerate(suffixes):
            k = layer * len(suffixes) + d
            W = [weights[f"{name}_l{layer}{suffix}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            if kind == "lstm":
                out, (h, c) = lstm_forward(layer_input, h0[k], c0[k], *W)
                c_n.append(c)
            else:
                out, h = gru_forward(layer_input, h0[k], *W)
            outputs.append(out)
            h_n.append(h)
        layer_input = np.concatenate(outputs, axis=2)
    if kind == "lstm":
        return layer_input, (np.stack(h_n), np.stack(c_n))
    return layer_input, np.stack(h_n)

# %% mutant ex_recurrent_forward: upper_layer_reads_forward_half_only
def recurrent_forward(X, weights, kind, num_layers=1, bidirectional=False, h0=None, c0=None):
    suffixes = ["", "_reverse"] if bidirectional else [""]
    hidden = weights["weight_hh_l0"].shape[1]
    zeros = np.zeros((num_layers * len(suffixes), X.shape[0], hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    layer_input, h_n, c_n = X, [], []
    for layer in range(num_layers):
        outputs = []
        for d, suffix in enumerate(suffixes):
            k = layer * len(suffixes) + d
            W = [weights[f"{name}_l{layer}{suffix}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            if layer > 0:
                W[0] = W[0][:, :hidden]
            seq = layer_input[:, ::-1] if suffix else layer_input
            if kind == "lstm":
                out, (h, c) = lstm_forward(seq, h0[k], c0[k], *W)
                c_n.append(c)
            else:
                out, h = gru_forward(seq, h0[k], *W)
            outputs.append(out[:, ::-1] if suffix else out)
            h_n.append(h)
        last = np.concatenate(outputs, axis=2)
        layer_input = outputs[0]
    if kind == "lstm":
        return last, (np.stack(h_n), np.stack(c_n))
    return last, np.stack(h_n)

# %% mutant ex_recurrent_forward: final_states_direction_major
# h_n ordered [all forward layers, then all backward layers]
def recurrent_forward(X, weights, kind, num_layers=1, bidirectional=False, h0=None, c0=None):
    suffixes = ["", "_reverse"] if bidirectional else [""]
    hidden = weights["weight_hh_l0"].shape[1]
    zeros = np.zeros((num_layers * len(suffixes), X.shape[0], hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    layer_input = X
    h_n = {suffix: [] for suffix in suffixes}
    c_n = {suffix: [] for suffix in suffixes}
    for layer in range(num_layers):
        outputs = []
        for d, suffix in enumerate(suffixes):
            k = layer * len(suffixes) + d
            W = [weights[f"{name}_l{layer}{suffix}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            seq = layer_input[:, ::-1] if suffix else layer_input
            if kind == "lstm":
                out, (h, c) = lstm_forward(seq, h0[k], c0[k], *W)
                c_n[suffix].append(c)
            else:
                out, h = gru_forward(seq, h0[k], *W)
            outputs.append(out[:, ::-1] if suffix else out)
            h_n[suffix].append(h)
        layer_input = np.concatenate(outputs, axis=2)
    h_all = np.stack([h for suffix in suffixes for h in h_n[suffix]])
    if kind == "lstm":
        return layer_input, (h_all, np.stack([c for suffix in suffixes for c in c_n[suffix]]))
    return layer_input, h_all

# %% mutant ex_recurrent_forward: backward_final_state_from_last_position
# takes the backward direction's state at the last position (after reading only x_T)
def recurrent_forward(X, weights, kind, num_layers=1, bidirectional=False, h0=None, c0=None):
    suffixes = ["", "_reverse"] if bidirectional else [""]
    hidden = weights["weight_hh_l0"].shape[1]
    zeros = np.zeros((num_layers * len(suffixes), X.shape[0], hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    layer_input, h_n, c_n = X, [], []
    for layer in range(num_layers):
        outputs = []
        for d, suffix in enumerate(suffixes):
            k = layer * len(suffixes) + d
            W = [weights[f"{name}_l{layer}{suffix}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            seq = layer_input[:, ::-1] if suffix else layer_input
            if kind == "lstm":
                out, (h, c) = lstm_forward(seq, h0[k], c0[k], *W)
                c_n.append(c)
            else:
                out, h = gru_forward(seq, h0[k], *W)
            out = out[:, ::-1] if suffix else out
            outputs.append(out)
            h_n.append(out[:, -1])
        layer_input = np.concatenate(outputs, axis=2)
    if kind == "lstm":
        return layer_input, (np.stack(h_n), np.stack(c_n))
    return layer_input, np.stack(h_n)

# %% mutant ex_recurrent_param_count: one_bias_vector
# Keras' count for LSTM/SimpleRNN, not PyTorch's
def recurrent_param_count(kind, input_size, hidden_size, num_layers=1, bidirectional=False):
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else directions * hidden_size
        total += directions * gates * hidden_size * (d_in + hidden_size + 1)
    return total

# %% mutant ex_recurrent_param_count: lstm_and_gru_gates_swapped
def recurrent_param_count(kind, input_size, hidden_size, num_layers=1, bidirectional=False):
    gates = {"rnn": 1, "gru": 4, "lstm": 3}[kind]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else directions * hidden_size
        total += directions * (gates * hidden_size * (d_in + hidden_size) + 2 * gates * hidden_size)
    return total

# %% mutant ex_recurrent_param_count: upper_layers_read_hidden_size
# forgets that a bidirectional layer below outputs 2 * hidden features
def recurrent_param_count(kind, input_size, hidden_size, num_layers=1, bidirectional=False):
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else hidden_size
        total += directions * (gates * hidden_size * (d_in + hidden_size) + 2 * gates * hidden_size)
    return total

# %% mutant ex_recurrent_param_count: bidirectional_not_doubled
def recurrent_param_count(kind, input_size, hidden_size, num_layers=1, bidirectional=False):
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else directions * hidden_size
        total += gates * hidden_size * (d_in + hidden_size) + 2 * gates * hidden_size
    return total

# %% mutant ex_recurrent_param_count: first_layer_only
def recurrent_param_count(kind, input_size, hidden_size, num_layers=1, bidirectional=False):
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    directions = 2 if bidirectional else 1
    return directions * (gates * hidden_size * (input_size + hidden_size) + 2 * gates * hidden_size)

# %% mutant ex_peephole_lstm_cell: output_gate_peeks_at_old_cell
def peephole_lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    z_i, z_f, z_g, z_o = np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1)
    i = sigmoid(z_i + w_ci * c_prev)
    f = sigmoid(z_f + w_cf * c_prev)
    c_t = f * c_prev + i * np.tanh(z_g)
    o = sigmoid(z_o + w_co * c_prev)
    return o * np.tanh(c_t), c_t

# %% mutant ex_peephole_lstm_cell: no_forget_peephole
def peephole_lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    z_i, z_f, z_g, z_o = np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1)
    i = sigmoid(z_i + w_ci * c_prev)
    f = sigmoid(z_f)
    c_t = f * c_prev + i * np.tanh(z_g)
    o = sigmoid(z_o + w_co * c_t)
    return o * np.tanh(c_t), c_t

# %% mutant ex_peephole_lstm_cell: peepholes_read_hidden_state
def peephole_lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    z_i, z_f, z_g, z_o = np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1)
    i = sigmoid(z_i + w_ci * h_prev)
    f = sigmoid(z_f + w_cf * h_prev)
    c_t = f * c_prev + i * np.tanh(z_g)
    o = sigmoid(z_o + w_co * h_prev)
    return o * np.tanh(c_t), c_t

# %% mutant ex_peephole_lstm_cell: input_and_forget_peepholes_swapped
def peephole_lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    z_i, z_f, z_g, z_o = np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1)
    i = sigmoid(z_i + w_cf * c_prev)
    f = sigmoid(z_f + w_ci * c_prev)
    c_t = f * c_prev + i * np.tanh(z_g)
    o = sigmoid(z_o + w_co * c_t)
    return o * np.tanh(c_t), c_t

# %% mutant ex_peephole_lstm_cell: peephole_on_candidate_too
def peephole_lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    z_i, z_f, z_g, z_o = np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1)
    i = sigmoid(z_i + w_ci * c_prev)
    f = sigmoid(z_f + w_cf * c_prev)
    c_t = f * c_prev + i * np.tanh(z_g + w_ci * c_prev)
    o = sigmoid(z_o + w_co * c_t)
    return o * np.tanh(c_t), c_t

# %% mutant ex_lm_batches: targets_not_shifted
def lm_batches(ids, batch_size, seq_len):
    ids = torch.as_tensor(ids, dtype=torch.int64)
    rows = max(len(ids) - 1, 0) // batch_size
    inputs = ids[: batch_size * rows].reshape(batch_size, rows)
    return [(inputs[:, t : t + seq_len], inputs[:, t : t + seq_len]) for t in range(0, rows, seq_len)]

# %% mutant ex_lm_batches: interleaved_rows
# deals the stream out round-robin (row r gets ids r, r + B, ...): the state cannot carry over
def lm_batches(ids, batch_size, seq_len):
    ids = torch.as_tensor(ids, dtype=torch.int64)
    rows = max(len(ids) - 1, 0) // batch_size
    inputs = ids[: batch_size * rows].reshape(rows, batch_size).T
    targets = ids[1 : batch_size * rows + 1].reshape(rows, batch_size).T
    return [(inputs[:, t : t + seq_len], targets[:, t : t + seq_len]) for t in range(0, rows, seq_len)]

# %% mutant ex_lm_batches: short_last_chunk_dropped
def lm_batches(ids, batch_size, seq_len):
    ids = torch.as_tensor(ids, dtype=torch.int64)
    rows = max(len(ids) - 1, 0) // batch_size
    inputs = ids[: batch_size * rows].reshape(batch_size, rows)
    targets = ids[1 : batch_size * rows + 1].reshape(batch_size, rows)
    return [(inputs[:, t : t + seq_len], targets[:, t : t + seq_len]) for t in range(0, rows - seq_len + 1, seq_len)]

# %% mutant ex_lm_batches: rows_of_all_ids
# L = N // batch_size: the last row's last target runs past the stream
def lm_batches(ids, batch_size, seq_len):
    ids = torch.as_tensor(ids, dtype=torch.int64)
    rows = len(ids) // batch_size
    inputs = ids[: batch_size * rows].reshape(batch_size, rows)
    targets = torch.cat([ids, ids[-1:]])[1 : batch_size * rows + 1].reshape(batch_size, rows)
    return [(inputs[:, t : t + seq_len], targets[:, t : t + seq_len]) for t in range(0, rows, seq_len)]

# %% mutant ex_lm_batches: overlapping_chunks
# chunks start every seq_len - 1 steps (a window that repeats one step)
def lm_batches(ids, batch_size, seq_len):
    ids = torch.as_tensor(ids, dtype=torch.int64)
    rows = max(len(ids) - 1, 0) // batch_size
    inputs = ids[: batch_size * rows].reshape(batch_size, rows)
    targets = ids[1 : batch_size * rows + 1].reshape(batch_size, rows)
    return [(inputs[:, t : t + seq_len], targets[:, t : t + seq_len]) for t in range(0, rows, max(seq_len - 1, 1))]

# %% mutant ex_lm_batches: keeps_input_dtype
def lm_batches(ids, batch_size, seq_len):
    ids = torch.as_tensor(ids)
    rows = max(len(ids) - 1, 0) // batch_size
    inputs = ids[: batch_size * rows].reshape(batch_size, rows)
    targets = ids[1 : batch_size * rows + 1].reshape(batch_size, rows)
    return [(inputs[:, t : t + seq_len], targets[:, t : t + seq_len]) for t in range(0, rows, seq_len)]

# %% mutant ex_lm_perplexity: unweighted_mean
# the plain mean of the batch losses: the short last batch counts as much as a full one
def lm_perplexity(batch_losses, batch_tokens, base=math.e):
    if len(batch_losses) != len(batch_tokens) or sum(batch_tokens) <= 0:
        raise ValueError("need one token count per batch loss")
    return base ** (sum(batch_losses) / len(batch_losses))

# %% mutant ex_lm_perplexity: losses_taken_as_sums
def lm_perplexity(batch_losses, batch_tokens, base=math.e):
    if len(batch_losses) != len(batch_tokens) or sum(batch_tokens) <= 0:
        raise ValueError("need one token count per batch loss")
    return base ** (sum(batch_losses) / sum(batch_tokens))

# %% mutant ex_lm_perplexity: always_exp
# ignores base: e ** loss even when the loss is in bits
def lm_perplexity(batch_losses, batch_tokens, base=math.e):
    total = sum(batch_tokens)
    if len(batch_losses) != len(batch_tokens) or total <= 0:
        raise ValueError("need one token count per batch loss")
    return math.exp(sum(loss * n for loss, n in zip(batch_losses, batch_tokens)) / total)

# %% mutant ex_lm_perplexity: no_exponential
# returns the cross-entropy itself
def lm_perplexity(batch_losses, batch_tokens, base=math.e):
    total = sum(batch_tokens)
    if len(batch_losses) != len(batch_tokens) or total <= 0:
        raise ValueError("need one token count per batch loss")
    return sum(loss * n for loss, n in zip(batch_losses, batch_tokens)) / total

# %% mutant ex_lm_perplexity: no_length_check
def lm_perplexity(batch_losses, batch_tokens, base=math.e):
    total = sum(batch_tokens)
    mean = sum(loss * n for loss, n in zip(batch_losses, batch_tokens)) / total
    return base**mean

# %% mutant ex_sample_next: temperature_multiplies
def sample_next(logits, temperature, generator):
    if temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits * temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))

# %% mutant ex_sample_next: ignores_temperature
def sample_next(logits, temperature, generator):
    if temperature == 0:
        return int(torch.argmax(logits))
    return int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator))

# %% mutant ex_sample_next: global_generator
# draws from PyTorch's global generator: not reproducible with the one passed in
def sample_next(logits, temperature, generator):
    if temperature == 0:
        return int(torch.argmax(logits))
    return int(torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1))

# %% mutant ex_sample_next: greedy_last_of_ties
def sample_next(logits, temperature, generator):
    if temperature == 0:
        flipped = torch.flip(logits, dims=[0])
        return int(len(logits) - 1 - torch.argmax(flipped))
    return int(torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator))

# %% mutant ex_sample_next: draws_at_zero_too
# draws a (wasted) sample before answering greedily: the generator moves at T = 0
def sample_next(logits, temperature, generator):
    draw = int(torch.multinomial(torch.softmax(logits / max(temperature, 1e-3), dim=-1), 1, generator=generator))
    return int(torch.argmax(logits)) if temperature == 0 else draw

# %% mutant ex_sample_next: softmax_without_temperature_then_power
# q = p ** T instead of p ** (1 / T)
def sample_next(logits, temperature, generator):
    if temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits, dim=-1) ** temperature
    return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))

# %% mutant ex_sample_next: returns_tensor
def sample_next(logits, temperature, generator):
    if temperature == 0:
        return torch.argmax(logits)
    return torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator)[0]
