# Wrong implementations of lesson 08's exercises: each must lose points (see docs/AUTHORING.md).
# A section's body replaces the solution cell named in its header and runs in the notebook's
# kernel, where the setup cell's imports (torch, nn, pack_padded_sequence, DataLoader, Dataset,
# copy, time, tqdm, clean_text, np, ...) exist.

# %% mutant ex_review_dataset: minus_zero_slice
# seq[:head] + seq[-(maxlen - head):]: fine until head == maxlen, where seq[-0:] is the whole list.
class ReviewDataset(Dataset):
    def __init__(self, sequences, labels, maxlen=None, head=0):
        self.sequences = []
        for seq in sequences:
            seq = list(seq)
            if maxlen is not None and len(seq) > maxlen:
                seq = seq[:head] + seq[-(maxlen - head):]
            self.sequences.append(torch.tensor(seq or [1], dtype=torch.long))
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return self.sequences[index], self.labels[index]


# %% mutant ex_review_dataset: keeps_only_the_beginning
# Ignores `head`: always keeps the first maxlen tokens (truncating="post").
class ReviewDataset(Dataset):
    def __init__(self, sequences, labels, maxlen=None, head=0):
        self.sequences = [torch.tensor(list(seq)[:maxlen] or [1], dtype=torch.long) for seq in sequences]
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return self.sequences[index], self.labels[index]


# %% mutant ex_review_dataset: empty_review_stays_empty
# An empty review stays empty (and becomes a float tensor): packing fails later on length 0.
class ReviewDataset(Dataset):
    def __init__(self, sequences, labels, maxlen=None, head=0):
        self.sequences = []
        for seq in sequences:
            seq = list(seq)
            if maxlen is not None and len(seq) > maxlen:
                tail = maxlen - head
                seq = seq[:head] + (seq[len(seq) - tail:] if tail > 0 else [])
            self.sequences.append(torch.tensor(seq, dtype=torch.long))
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return self.sequences[index], self.labels[index]


# %% mutant ex_review_dataset: tail_one_token_short
# Off by one in the tail: keeps maxlen - 1 tokens.
class ReviewDataset(Dataset):
    def __init__(self, sequences, labels, maxlen=None, head=0):
        self.sequences = []
        for seq in sequences:
            seq = list(seq)
            if maxlen is not None and len(seq) > maxlen:
                tail = maxlen - head
                seq = seq[:head] + (seq[len(seq) - tail + 1:] if tail > 0 else [])
            self.sequences.append(torch.tensor(seq or [1], dtype=torch.long))
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return self.sequences[index], self.labels[index]


# %% mutant ex_review_dataset: labels_kept_as_given
# Returns the labels as they came in (NumPy integers from a DataFrame column), not Python ints.
class ReviewDataset(Dataset):
    def __init__(self, sequences, labels, maxlen=None, head=0):
        self.sequences = []
        for seq in sequences:
            seq = list(seq)
            if maxlen is not None and len(seq) > maxlen:
                tail = maxlen - head
                seq = seq[:head] + (seq[len(seq) - tail:] if tail > 0 else [])
            self.sequences.append(torch.tensor(seq or [1], dtype=torch.long))
        self.labels = labels
        self.lengths = [len(seq) for seq in self.sequences]

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return self.sequences[index], self.labels[index]


# %% mutant ex_collate_batch: pre_padding
# Pads before the tokens (Keras' default): pack_padded_sequence expects the tokens first.
def collate_batch(batch, pad_index=0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = int(lengths.max())
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, T - len(seq):] = seq
    mask = ids != pad_index
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels


# %% mutant ex_collate_batch: mask_inverted
# True on the padding instead of on the tokens.
def collate_batch(batch, pad_index=0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = int(lengths.max())
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = torch.arange(T).unsqueeze(0) >= lengths.unsqueeze(1)
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels


# %% mutant ex_collate_batch: lengths_off_by_one
# Counts the last index instead of the number of tokens.
def collate_batch(batch, pad_index=0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) - 1 for seq in seqs], dtype=torch.long)
    T = max(len(seq) for seq in seqs)
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = torch.arange(T).unsqueeze(0) <= lengths.unsqueeze(1)
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels


# %% mutant ex_collate_batch: mask_from_nonzero_ids
# Builds the mask from the values (ids != 0): wrong for another pad_index, or a real token 0.
def collate_batch(batch, pad_index=0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = int(lengths.max())
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = ids != 0
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels


# %% mutant ex_collate_batch: float_labels
# Float labels: fine for BCE, but nn.CrossEntropyLoss wants int64 class indices.
def collate_batch(batch, pad_index=0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = int(lengths.max())
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)
    labels = torch.tensor([float(label) for _, label in batch])
    return ids, lengths, mask, labels


# %% mutant ex_collate_batch: pads_with_zero_always
# Ignores pad_index.
def collate_batch(batch, pad_index=0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    ids = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    mask = torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels


# %% mutant ex_masked_max_mean: mean_divides_by_T
# Zeros out the padding but divides by the full length T.
def masked_max_mean(outputs, mask):
    keep = mask.unsqueeze(-1)
    largest = outputs.masked_fill(~keep, float("-inf")).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / outputs.shape[1]
    return torch.cat([largest, mean], dim=1)


# %% mutant ex_masked_max_mean: max_over_zeroed_padding
# Multiplies by the mask before the max: the padding's zeros win when every real value is negative.
def masked_max_mean(outputs, mask):
    keep = mask.unsqueeze(-1)
    largest = (outputs * keep).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1)
    return torch.cat([largest, mean], dim=1)


# %% mutant ex_masked_max_mean: mask_inverted
# Pools over the padding and skips the tokens.
def masked_max_mean(outputs, mask):
    keep = ~mask.unsqueeze(-1)
    largest = outputs.masked_fill(~keep, -1e9).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1)
    return torch.cat([largest, mean], dim=1)


# %% mutant ex_masked_max_mean: mean_before_max
# The right numbers in the wrong order.
def masked_max_mean(outputs, mask):
    keep = mask.unsqueeze(-1)
    largest = outputs.masked_fill(~keep, float("-inf")).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1)
    return torch.cat([mean, largest], dim=1)


# %% mutant ex_masked_max_mean: ignores_the_mask
# Plain pooling over every position.
def masked_max_mean(outputs, mask):
    return torch.cat([outputs.amax(dim=1), outputs.mean(dim=1)], dim=1)


# %% mutant ex_sentiment_rnn: no_packing
# Runs the padded batch through the bidirectional layer: the backward direction starts on padding.
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        outputs, _ = self.rnn(self.dropout(self.embedding(ids)))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))


# %% mutant ex_sentiment_rnn: pooling_over_padding
# Packs, but pools over every position of the unpacked output (zeros included).
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        pooled = torch.cat([outputs.amax(dim=1), outputs.mean(dim=1)], dim=1)
        return self.classifier(self.dropout(pooled))


# %% mutant ex_sentiment_rnn: last_hidden_states
# The notes' classifier: the final forward and backward states, no pooling.
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state
        return self.classifier(self.dropout(torch.cat([h_n[-2], h_n[-1]], dim=1)))


# %% mutant ex_sentiment_rnn: no_total_length
# pad_packed_sequence without total_length: the outputs stop at the longest review, the mask does not.
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True)
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))


# %% mutant ex_sentiment_rnn: freeze_ignored
# Pretrained vectors are always fine-tuned.
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))


# %% mutant ex_sentiment_rnn: always_gru_unidirectional
# One direction only (and the cell option ignored): the classifier sees 2H features.
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        self.rnn = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))


# %% mutant ex_sentiment_rnn: embeddings_ignored
# Accepts pretrained vectors and never copies them.
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=100, hidden_size=64, cell="lstm", pad_index=0,
                 dropout=0.3, embeddings=None, freeze=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, ids, lengths, mask):
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))


# %% mutant ex_fit: early_stopping_on_training_loss
# Watches the training loss, which keeps falling: never stops, keeps the last (overfitted) epoch.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_total += loss_fn(logits, labels.to(device)).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_total / n)
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["train_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["train_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


# %% mutant ex_fit: best_weights_not_restored
# Stops at the right epoch but keeps the weights of the last one.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, waited = float("inf"), 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_total += loss_fn(logits, labels.to(device)).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_total / n)
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["val_loss"][-1] < best_loss:
            best_loss, waited = history["val_loss"][-1], 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    return history


# %% mutant ex_fit: state_dict_not_copied
# best_state = model.state_dict(): references to the live tensors, so "restoring" changes nothing.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_total += loss_fn(logits, labels.to(device)).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_total / n)
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], model.state_dict(), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


# %% mutant ex_fit: patience_off_by_one
# Waits one epoch too many before stopping.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_total += loss_fn(logits, labels.to(device)).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_total / n)
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited > patience:
                break
    model.load_state_dict(best_state)
    return history


# %% mutant ex_fit: validation_in_training_mode
# Never calls model.eval(): dropout stays on while validating.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    model.train()
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_total += loss_fn(logits, labels.to(device)).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_total / n)
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


# %% mutant ex_fit: mean_of_batch_means
# Averages the batch losses without weighting them by batch size.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        losses = []
        for ids, lengths, mask, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        val_losses, correct, n = [], 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_losses.append(loss_fn(logits, labels.to(device)).item())
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(sum(losses) / len(losses))
        history["val_loss"].append(sum(val_losses) / len(val_losses))
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


# %% mutant ex_fit: gradients_accumulate
# No optimizer.zero_grad(): every step adds the gradients of all earlier batches.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device, patience=2, clip_norm=None,
        progress=False):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in train_loader:
            loss = loss_fn(model(ids.to(device), lengths, mask.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids.to(device), lengths, mask.to(device))
                val_total += loss_fn(logits, labels.to(device)).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels.to(device)).sum().item(), n + len(labels)
        history["train_loss"].append(total / count)
        history["val_loss"].append(val_total / n)
        history["val_accuracy"].append(correct / n)
        history["seconds"].append(time.perf_counter() - started)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


# %% mutant ex_predict_sentiment: raw_text_not_cleaned
# Splits the raw string: "GREAT", "film!!!<br" and "/><br" are all <unk> for the model.
def predict_sentiment(texts, model, vocab, class_names, maxlen=None, head=0, batch_size=256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(text.split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_batch)
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            chunks.append(torch.softmax(model(ids.to(device), lengths, mask.to(device)), dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs


# %% mutant ex_predict_sentiment: lowercase_only
# Lowercases but keeps HTML and punctuation glued to the words.
def predict_sentiment(texts, model, vocab, class_names, maxlen=None, head=0, batch_size=256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(text.lower().split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_batch)
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            chunks.append(torch.softmax(model(ids.to(device), lengths, mask.to(device)), dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs


# %% mutant ex_predict_sentiment: sigmoid_instead_of_softmax
# A sigmoid per logit: binary-classifier habits; the rows no longer sum to 1.
def predict_sentiment(texts, model, vocab, class_names, maxlen=None, head=0, batch_size=256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_batch)
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            chunks.append(torch.sigmoid(model(ids.to(device), lengths, mask.to(device))).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs


# %% mutant ex_predict_sentiment: dropout_left_on
# Forgets model.eval(): predictions change from one call to the next.
def predict_sentiment(texts, model, vocab, class_names, maxlen=None, head=0, batch_size=256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_batch)
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            chunks.append(torch.softmax(model(ids.to(device), lengths, mask.to(device)), dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs


# %% mutant ex_predict_sentiment: class_indices_not_names
# Returns the argmax indices instead of the class names.
def predict_sentiment(texts, model, vocab, class_names, maxlen=None, head=0, batch_size=256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_batch)
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            chunks.append(torch.softmax(model(ids.to(device), lengths, mask.to(device)), dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [int(k) for k in probs.argmax(axis=1)], probs


# %% mutant ex_predict_sentiment: no_truncation
# Ignores maxlen and head: the model sees more of a long review than it was trained on.
def predict_sentiment(texts, model, vocab, class_names, maxlen=None, head=0, batch_size=256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences))
    batches = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_batch)
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            chunks.append(torch.softmax(model(ids.to(device), lengths, mask.to(device)), dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs
