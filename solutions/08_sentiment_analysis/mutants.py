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


# %% mutant ex_fit: clipping_ignored
# Never clips the gradient norm.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: clips_values_not_norm
# clip_grad_value_: clips each gradient entry, not the norm of all of them.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_value_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: clips_after_the_step
# Clips once the optimizer has already stepped with the raw gradient.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            optimizer.step()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: ties_are_new_bests
# <= instead of <: a tie with the best validation loss resets the patience.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] <= best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: one_epoch_short
# range(1, epochs): one epoch fewer than asked.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: restores_only_on_early_stop
# Loads the best weights only when early stopping fires, not when the epochs run out.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                model.load_state_dict(best_state)
                break
    return history
    ### END SOLUTION


# %% mutant ex_fit: batches_left_on_the_cpu
# Moves the model but not the batches (fine on a CPU, a crash on a GPU).
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: model_not_moved
# Moves the batches but never the model.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: seconds_since_the_start
# Times every epoch from the start of training: cumulative seconds.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    started = time.perf_counter()
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: seconds_of_training_only
# Stops the clock before validation.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        seconds = time.perf_counter() - started
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", seconds)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: best_epoch_from_zero
# Counts the best epoch from 0.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch - 1
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: stops_on_validation_accuracy
# Early stopping on the validation accuracy (strictly higher) instead of the loss.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = -1.0, None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_accuracy"][-1] > best_loss:
            best_loss, best_state, waited = history["val_accuracy"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: accuracy_mean_of_batch_accuracies
# Averages the accuracies of the validation batches, whatever their sizes.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n, accs = 0.0, 0, 0, []
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
                accs.append((logits.argmax(dim=1) == labels).float().mean().item())
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", sum(accs) / len(accs)),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: progress_always_shown
# Shows the progress bars whatever `progress` says.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs"):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: validation_with_gradients
# Validates without torch.no_grad(): slower, and it builds graphs for nothing.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        if True:
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: default_patience_one
# patience=1 by default.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 1,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item() * len(labels)
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / n), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_fit: unweighted_validation_loss
# Weights the training loss by batch size, but averages the validation batches' means.
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, device, patience: int = 2,
        clip_norm: float | None = None, progress: bool = False) -> dict:
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "seconds": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for ids, lengths, mask, labels in tqdm(train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress):
            ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(ids, lengths, mask), labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        model.eval()
        val_total, correct, n = 0.0, 0, 0
        with torch.no_grad():
            for ids, lengths, mask, labels in val_loader:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                logits = model(ids, lengths, mask)
                val_total += loss_fn(logits, labels).item()
                correct, n = correct + (logits.argmax(dim=1) == labels).sum().item(), n + len(labels)
        for key, value in [("train_loss", total / count), ("val_loss", val_total / len(val_loader)), ("val_accuracy", correct / n),
                           ("seconds", time.perf_counter() - started)]:
            history[key].append(value)
        if history["val_loss"][-1] < best_loss:
            best_loss, best_state, waited = history["val_loss"][-1], copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
    ### END SOLUTION


# %% mutant ex_review_dataset: lengths_before_truncation
# Records the lengths of the sequences as they came in.
class ReviewDataset(Dataset):

    def __init__(self, sequences, labels, maxlen: int | None = None, head: int = 0):
        self.sequences = []
        self.lengths = [max(len(seq), 1) for seq in sequences]
        for seq in sequences:
            seq = list(seq)
            if maxlen is not None and len(seq) > maxlen:
                tail = maxlen - head
                seq = seq[:head] + (seq[len(seq) - tail:] if tail > 0 else [])
            self.sequences.append(torch.tensor(seq or [1], dtype=torch.long))
        self.labels = [int(label) for label in labels]
    def __len__(self) -> int:
        return len(self.sequences)
    def __getitem__(self, index: int):
        return self.sequences[index], self.labels[index]
        ### END SOLUTION


# %% mutant ex_review_dataset: truncates_in_place
# Cuts the caller's lists themselves (del seq[head:...]).
class ReviewDataset(Dataset):

    def __init__(self, sequences, labels, maxlen: int | None = None, head: int = 0):
        self.sequences = []
        for seq in sequences:
            if maxlen is not None and len(seq) > maxlen:
                if isinstance(seq, list):
                    del seq[head:len(seq) - (maxlen - head)]
                else:
                    seq = list(seq[:head]) + (list(seq[len(seq) - (maxlen - head):]) if maxlen > head else [])
            seq = list(seq)
            self.sequences.append(torch.tensor(seq or [1], dtype=torch.long))
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]
    def __len__(self) -> int:
        return len(self.sequences)
    def __getitem__(self, index: int):
        return self.sequences[index], self.labels[index]
        ### END SOLUTION


# %% mutant ex_review_dataset: head_used_without_maxlen
# Treats maxlen=None as 'no tail', so head alone cuts the review.
class ReviewDataset(Dataset):

    def __init__(self, sequences, labels, maxlen: int | None = None, head: int = 0):
        self.sequences = []
        for seq in sequences:
            seq = list(seq)
            if head or (maxlen is not None and len(seq) > maxlen):
                tail = (maxlen or head) - head
                seq = seq[:head] + (seq[len(seq) - tail:] if tail > 0 else [])
            self.sequences.append(torch.tensor(seq or [1], dtype=torch.long))
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]
    def __len__(self) -> int:
        return len(self.sequences)
    def __getitem__(self, index: int):
        return self.sequences[index], self.labels[index]
        ### END SOLUTION


# %% mutant ex_review_dataset: ids_keep_input_dtype
# torch.as_tensor keeps int32 from an int32 array.
class ReviewDataset(Dataset):

    def __init__(self, sequences, labels, maxlen: int | None = None, head: int = 0):
        self.sequences = []
        for seq in sequences:
            seq = list(seq)
            if maxlen is not None and len(seq) > maxlen:
                tail = maxlen - head
                seq = seq[:head] + (seq[len(seq) - tail:] if tail > 0 else [])
            self.sequences.append(torch.as_tensor(np.asarray(seq if len(seq) else [1])))
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]
    def __len__(self) -> int:
        return len(self.sequences)
    def __getitem__(self, index: int):
        return self.sequences[index], self.labels[index]
        ### END SOLUTION


# %% mutant ex_collate_batch: T_from_the_first_sequence
# Pads to the first review's length (a sorted batch would hide it).
def collate_batch(batch, pad_index: int = 0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = len(seqs[0])
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : min(len(seq), T)] = seq[:T]
    mask = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels
    ### END SOLUTION


# %% mutant ex_collate_batch: mask_from_pad_index
# mask = ids != pad_index: a real token equal to pad_index is hidden.
def collate_batch(batch, pad_index: int = 0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = int(lengths.max())
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = ids != pad_index
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels
    ### END SOLUTION


# %% mutant ex_collate_batch: mask_as_uint8
# A 0/1 mask of uint8: masked_fill and ~ want bools.
def collate_batch(batch, pad_index: int = 0):
    seqs = [torch.as_tensor(ids, dtype=torch.long) for ids, _ in batch]
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.long)
    T = int(lengths.max())
    ids = torch.full((len(seqs), T), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(torch.uint8)
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels
    ### END SOLUTION


# %% mutant ex_masked_max_mean: mean_includes_padding_values
# Divides by the real count but sums every position, padding values included.
def masked_max_mean(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    keep = mask.unsqueeze(-1)
    largest = outputs.masked_fill(~keep, float("-inf")).amax(dim=1)
    mean = outputs.sum(dim=1) / keep.sum(dim=1)
    return torch.cat([largest, mean], dim=1)
    ### END SOLUTION


# %% mutant ex_masked_max_mean: prefix_mask_assumed
# Turns the mask into lengths and keeps the first `length` positions.
def masked_max_mean(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    lengths = mask.sum(dim=1, keepdim=True)
    keep = (torch.arange(mask.shape[1]).unsqueeze(0) < lengths).unsqueeze(-1)
    largest = outputs.masked_fill(~keep, float("-inf")).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1)
    return torch.cat([largest, mean], dim=1)
    ### END SOLUTION


# %% mutant ex_masked_max_mean: fills_in_place
# masked_fill_ changes the caller's outputs.
def masked_max_mean(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    keep = mask.unsqueeze(-1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1)
    largest = outputs.detach().masked_fill_(~keep, float("-inf")).amax(dim=1) + 0 * outputs.sum(dim=1)
    return torch.cat([largest, mean], dim=1)
    ### END SOLUTION


# %% mutant ex_masked_max_mean: float32_always
# Returns float32 whatever the dtype of outputs.
def masked_max_mean(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    keep = mask.unsqueeze(-1)
    largest = outputs.masked_fill(~keep, float("-inf")).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1)
    return torch.cat([largest, mean], dim=1).float()
    ### END SOLUTION


# %% mutant ex_sentiment_rnn: dropout_on_pooled_vector_only
# No dropout on the embeddings.
class SentimentRNN(nn.Module):

    def __init__(self, vocab_size: int, num_classes: int, embed_dim: int = 100, hidden_size: int = 64,
                 cell: str = "lstm", pad_index: int = 0, dropout: float = 0.3, embeddings=None, freeze: bool = False):
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
    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))
        ### END SOLUTION


# %% mutant ex_sentiment_rnn: padding_idx_always_zero
# nn.Embedding(..., padding_idx=0) whatever pad_index says.
class SentimentRNN(nn.Module):

    def __init__(self, vocab_size: int, num_classes: int, embed_dim: int = 100, hidden_size: int = 64,
                 cell: str = "lstm", pad_index: int = 0, dropout: float = 0.3, embeddings=None, freeze: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)
    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))
        ### END SOLUTION


# %% mutant ex_sentiment_rnn: dropout_rate_fixed
# nn.Dropout() at its default rate 0.5.
class SentimentRNN(nn.Module):

    def __init__(self, vocab_size: int, num_classes: int, embed_dim: int = 100, hidden_size: int = 64,
                 cell: str = "lstm", pad_index: int = 0, dropout: float = 0.3, embeddings=None, freeze: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout()
        self.classifier = nn.Linear(4 * hidden_size, num_classes)
    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))
        ### END SOLUTION


# %% mutant ex_sentiment_rnn: embeddings_kept_float64
# from_pretrained on the given array: a float64 weight the LSTM cannot take.
class SentimentRNN(nn.Module):

    def __init__(self, vocab_size: int, num_classes: int, embed_dim: int = 100, hidden_size: int = 64,
                 cell: str = "lstm", pad_index: int = 0, dropout: float = 0.3, embeddings=None, freeze: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            self.embedding = nn.Embedding.from_pretrained(torch.as_tensor(embeddings), freeze=freeze, padding_idx=pad_index)
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)
    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))
        ### END SOLUTION


# %% mutant ex_sentiment_rnn: two_layers
# num_layers=2.
class SentimentRNN(nn.Module):

    def __init__(self, vocab_size: int, num_classes: int, embed_dim: int = 100, hidden_size: int = 64,
                 cell: str = "lstm", pad_index: int = 0, dropout: float = 0.3, embeddings=None, freeze: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(embeddings, dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed_dim, hidden_size, batch_first=True, bidirectional=True, num_layers=2)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)
    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))
        ### END SOLUTION


# %% mutant ex_predict_sentiment: pads_with_zero
# collate_batch's default pad_index 0, not vocab.pad_index.
def predict_sentiment(texts, model, vocab, class_names, maxlen: int | None = None, head: int = 0,
                      batch_size: int = 256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size,
                         collate_fn=collate_batch)
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            logits = model(ids.to(device), lengths, mask.to(device))
            chunks.append(torch.softmax(logits, dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs
    ### END SOLUTION


# %% mutant ex_predict_sentiment: one_batch
# Ignores batch_size: every text in one batch.
def predict_sentiment(texts, model, vocab, class_names, maxlen: int | None = None, head: int = 0,
                      batch_size: int = 256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=len(dataset),
                         collate_fn=lambda batch: collate_batch(batch, pad_index=vocab.pad_index))
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            logits = model(ids.to(device), lengths, mask.to(device))
            chunks.append(torch.softmax(logits, dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs
    ### END SOLUTION


# %% mutant ex_predict_sentiment: detach_instead_of_no_grad
# Builds the graph and detaches at the end.
def predict_sentiment(texts, model, vocab, class_names, maxlen: int | None = None, head: int = 0,
                      batch_size: int = 256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size,
                         collate_fn=lambda batch: collate_batch(batch, pad_index=vocab.pad_index))
    model.eval()
    chunks = []
    if True:
        for ids, lengths, mask, _ in batches:
            logits = model(ids.to(device), lengths, mask.to(device))
            chunks.append(torch.softmax(logits, dim=1).detach().cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs
    ### END SOLUTION


# %% mutant ex_predict_sentiment: head_ignored
# Truncates to maxlen but always keeps the end.
def predict_sentiment(texts, model, vocab, class_names, maxlen: int | None = None, head: int = 0,
                      batch_size: int = 256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen)
    batches = DataLoader(dataset, batch_size=batch_size,
                         collate_fn=lambda batch: collate_batch(batch, pad_index=vocab.pad_index))
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            logits = model(ids.to(device), lengths, mask.to(device))
            chunks.append(torch.softmax(logits, dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs
    ### END SOLUTION


# %% mutant ex_predict_sentiment: ascii_lowercase
# Lowercases A-Z only before cleaning... and skips clean_text's Unicode handling.
def predict_sentiment(texts, model, vocab, class_names, maxlen: int | None = None, head: int = 0,
                      batch_size: int = 256):
    device = next(model.parameters()).device
    sequences = [vocab.encode(clean_text(text.encode('ascii', 'ignore').decode()).split()) for text in texts]
    dataset = ReviewDataset(sequences, [0] * len(sequences), maxlen=maxlen, head=head)
    batches = DataLoader(dataset, batch_size=batch_size,
                         collate_fn=lambda batch: collate_batch(batch, pad_index=vocab.pad_index))
    model.eval()
    chunks = []
    with torch.no_grad():
        for ids, lengths, mask, _ in batches:
            logits = model(ids.to(device), lengths, mask.to(device))
            chunks.append(torch.softmax(logits, dim=1).cpu())
    probs = torch.cat(chunks).numpy()
    return [class_names[k] for k in probs.argmax(axis=1)], probs
    ### END SOLUTION
