# Wrong implementations of lesson 05's exercises: each must lose points (see docs/AUTHORING.md).
# A section's body replaces the solution cell named in its header and runs in the notebook's
# kernel, where the setup cell's imports (np, torch, nn, F, ...) and `sigmoid` exist.

# %% mutant ex_perceptron: step_fires_at_zero
# step(0) = 1: z >= 0 instead of z > 0.
def step(z):
    return (np.asarray(z) >= 0).astype(np.int64)


def perceptron_predict(X, w, b):
    return step(X @ w + b)


def perceptron_train(X, y, epochs=10, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, t in zip(X, 2 * np.asarray(y) - 1):
            if t * (x @ w + b) <= 0:
                w += lr * t * x
                b += lr * t
    return w, float(b)


# %% mutant ex_perceptron: bias_never_learned
def step(z):
    return (np.asarray(z) > 0).astype(np.int64)


def perceptron_predict(X, w, b):
    return step(X @ w + b)


def perceptron_train(X, y, epochs=10, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, t in zip(X, 2 * np.asarray(y) - 1):
            if t * (x @ w + b) <= 0:
                w += lr * t * x
    return w, float(b)


# %% mutant ex_perceptron: labels_not_mapped_to_plus_minus_one
# Uses y in {0, 1} as the sign: negative examples never push the boundary away.
def step(z):
    return (np.asarray(z) > 0).astype(np.int64)


def perceptron_predict(X, w, b):
    return step(X @ w + b)


def perceptron_train(X, y, epochs=10, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, t in zip(X, np.asarray(y)):
            if (2 * t - 1) * (x @ w + b) <= 0:
                w += lr * t * x
                b += lr * t
    return w, float(b)


# %% mutant ex_perceptron: updates_only_on_strict_mistakes
# Rosenblatt's (y - y_hat) rule with step(0) = 0: a point ON the boundary with label 0 is not corrected.
def step(z):
    return (np.asarray(z) > 0).astype(np.int64)


def perceptron_predict(X, w, b):
    return step(X @ w + b)


def perceptron_train(X, y, epochs=10, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, target in zip(X, np.asarray(y)):
            error = target - int(x @ w + b > 0)
            w += lr * error * x
            b += lr * error
    return w, float(b)


# %% mutant ex_perceptron: updates_on_every_example
def step(z):
    return (np.asarray(z) > 0).astype(np.int64)


def perceptron_predict(X, w, b):
    return step(X @ w + b)


def perceptron_train(X, y, epochs=10, lr=1.0):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, t in zip(X, 2 * np.asarray(y) - 1):
            w += lr * t * x
            b += lr * t
    return w, float(b)


# %% mutant ex_forward: no_hidden_activation
# Forgets the ReLU: the two layers collapse into one linear map.
def relu(z):
    return np.maximum(z, 0.0)


def two_layer_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = Z1
    p = sigmoid(A1 @ params["W2"] + params["b2"]).ravel()
    return p, {"Z1": Z1, "A1": A1, "p": p}


def bce_loss(p, y):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# %% mutant ex_forward: output_without_sigmoid
def relu(z):
    return np.maximum(z, 0.0)


def two_layer_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    p = (A1 @ params["W2"] + params["b2"]).ravel()
    return p, {"Z1": Z1, "A1": A1, "p": p}


def bce_loss(p, y):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# %% mutant ex_forward: hidden_bias_missing
def relu(z):
    return np.maximum(z, 0.0)


def two_layer_forward(X, params):
    Z1 = X @ params["W1"]
    A1 = relu(Z1)
    p = sigmoid(A1 @ params["W2"] + params["b2"]).ravel()
    return p, {"Z1": Z1, "A1": A1, "p": p}


def bce_loss(p, y):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# %% mutant ex_forward: bce_without_minus
def relu(z):
    return np.maximum(z, 0.0)


def two_layer_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    p = sigmoid(A1 @ params["W2"] + params["b2"]).ravel()
    return p, {"Z1": Z1, "A1": A1, "p": p}


def bce_loss(p, y):
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# %% mutant ex_forward: bce_sum_not_mean
def relu(z):
    return np.maximum(z, 0.0)


def two_layer_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    p = sigmoid(A1 @ params["W2"] + params["b2"]).ravel()
    return p, {"Z1": Z1, "A1": A1, "p": p}


def bce_loss(p, y):
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


# %% mutant ex_forward: bce_terms_swapped
def relu(z):
    return np.maximum(z, 0.0)


def two_layer_forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    p = sigmoid(A1 @ params["W2"] + params["b2"]).ravel()
    return p, {"Z1": Z1, "A1": A1, "p": p}


def bce_loss(p, y):
    return float(-np.mean(y * np.log(1 - p) + (1 - y) * np.log(p)))


# %% mutant ex_backward: relu_derivative_missing
def two_layer_backward(X, y, params, cache):
    n = X.shape[0]
    delta2 = ((cache["p"] - y) / n).reshape(-1, 1)
    grads = {"W2": cache["A1"].T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = delta2 @ params["W2"].T
    grads["W1"] = X.T @ delta1
    grads["b1"] = delta1.sum(axis=0)
    return grads


# %% mutant ex_backward: sigmoid_derivative_applied_again
# Multiplies by p (1 - p) although it cancels against the cross-entropy.
def two_layer_backward(X, y, params, cache):
    n = X.shape[0]
    p = cache["p"]
    delta2 = ((p - y) * p * (1 - p) / n).reshape(-1, 1)
    grads = {"W2": cache["A1"].T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = (delta2 @ params["W2"].T) * (cache["Z1"] > 0)
    grads["W1"] = X.T @ delta1
    grads["b1"] = delta1.sum(axis=0)
    return grads


# %% mutant ex_backward: not_divided_by_batch_size
# The gradient of the SUM of the losses, not of their mean.
def two_layer_backward(X, y, params, cache):
    delta2 = (cache["p"] - y).reshape(-1, 1)
    grads = {"W2": cache["A1"].T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = (delta2 @ params["W2"].T) * (cache["Z1"] > 0)
    grads["W1"] = X.T @ delta1
    grads["b1"] = delta1.sum(axis=0)
    return grads


# %% mutant ex_backward: bias_gradients_averaged
# Averages the bias gradients over the batch (the 1/n is already in delta).
def two_layer_backward(X, y, params, cache):
    n = X.shape[0]
    delta2 = ((cache["p"] - y) / n).reshape(-1, 1)
    grads = {"W2": cache["A1"].T @ delta2, "b2": delta2.mean(axis=0)}
    delta1 = (delta2 @ params["W2"].T) * (cache["Z1"] > 0)
    grads["W1"] = X.T @ delta1
    grads["b1"] = delta1.mean(axis=0)
    return grads


# %% mutant ex_backward: relu_mask_on_the_wrong_layer
# Applies the ReLU derivative to the output error instead of the hidden layer.
def two_layer_backward(X, y, params, cache):
    n = X.shape[0]
    delta2 = ((cache["p"] - y) / n).reshape(-1, 1) * (cache["p"] > 0.5).reshape(-1, 1)
    grads = {"W2": cache["A1"].T @ delta2, "b2": delta2.sum(axis=0)}
    delta1 = delta2 @ params["W2"].T
    grads["W1"] = X.T @ delta1
    grads["b1"] = delta1.sum(axis=0)
    return grads


# %% mutant ex_backward: weight_gradients_transposed
def two_layer_backward(X, y, params, cache):
    n = X.shape[0]
    delta2 = ((cache["p"] - y) / n).reshape(-1, 1)
    grads = {"W2": delta2.T @ cache["A1"], "b2": delta2.sum(axis=0)}
    delta1 = (delta2 @ params["W2"].T) * (cache["Z1"] > 0)
    grads["W1"] = delta1.T @ X
    grads["b1"] = delta1.sum(axis=0)
    return grads


# %% mutant ex_meanpool: mean_includes_padding
class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 1)

    def forward(self, ids):
        return self.output(self.embedding(ids).mean(dim=1)).squeeze(-1)


# %% mutant ex_meanpool: sum_pooling
class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 1)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        return self.output((self.embedding(ids) * mask).sum(dim=1)).squeeze(-1)


# %% mutant ex_meanpool: returns_probabilities
class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 1)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        mean = (self.embedding(ids) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return torch.sigmoid(self.output(mean)).squeeze(-1)


# %% mutant ex_meanpool: no_padding_idx
# Masks correctly but lets the <pad> row be a learned vector with gradients.
class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.output = nn.Linear(dim, 1)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        mean = (self.embedding(ids) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.output(mean).squeeze(-1)


# %% mutant ex_meanpool: max_pooling
class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 1)

    def forward(self, ids):
        return self.output(self.embedding(ids).max(dim=1).values).squeeze(-1)


# %% mutant ex_meanpool: divides_by_zero_on_empty_rows
class MeanPoolClassifier(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 1)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        mean = (self.embedding(ids) * mask).sum(dim=1) / mask.sum(dim=1)
        return self.output(mean).squeeze(-1)
