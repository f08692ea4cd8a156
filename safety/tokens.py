"""A harm head that reads every token, not only the mean of a prompt's tokens.

The heads of classifier.py read mean-pooled MiniLM layers, the USE-M vector and character n-grams. A mean dilutes
the few words that make a calm scene harmful ("with the engine running", "little bags for banknotes") among the
words it shares with its benign neighbour, which the corpus pairs with it on purpose. This head scores each token
of MiniLM's TOKEN_LAYERS with a small network and pools the scores with attention learned for the purpose
(attention-based multiple-instance pooling): the prompt is as harmful as the tokens it attends to. Trained on the
same texts and labels as the heads (each category and harm at all, multi-task), only its harm output is used: it
is blended into the harm that sets how high the category scores stand (Heads.predict).

Measured by cross-validation over the five seed-grouped folds of the 26,710-prompt corpus's train split, each
fold's heads and token head fitted on the other four. Alone it ranks harmful above benign prompts less well than
the heads (AUC 0.937 against 0.972; 0.970 against 0.979 in English, 0.87 to 0.90 against 0.96 to 0.97 in Spanish,
German and French, whose words MiniLM's English vocabulary splits into pieces), but it errs on other prompts:
blended with share 0.2 the AUC is 0.976 (share 0.3: 0.975, 0.5: 0.967). In the gate, with the rules and the
committed policy replayed on the folds' scores (the replay reproduces `python -m safety train --cross-validate`'s
figures without the token head exactly), harmful caught / benign allowed / evasions caught / severe blocked
outright:

    review   without the token head      with it (share 0.2)
    0.35     93.1 / 90.1 / 94.5 / 94.9    94.0 / 89.9 / 95.0 / 96.0
    0.40     91.8 / 91.4 / 93.7 / 94.9    93.2 / 90.6 / 94.3 / 96.0
    0.45     90.4 / 92.5 / 92.1 / 94.9    92.3 / 91.5 / 93.5 / 96.0

A small gain (caught plus benign allowed about 0.7 points higher at each level, severe blocked 1.1), mostly in
English (at review 0.35, caught 95.3 -> 95.8 and benign allowed 90.3 -> 91.3 there, while Spanish and German
benign prompts lose 2 points and French ones 0.6).

The gate gives the head the normalised prompt only (PromptClassifier.scores' token_text): read from the raw prompt
too, markup such as "<script>window.pwned" pushed its harm to 0.998 and a prompt for review to a block. The figures
barely move (folds 0 to 2: evasions caught 96.0 with the raw prompt read too, 95.7 without, the rest the same).

Measured and not taken: a linear token scorer instead of the hidden layer (AUC 0.973 blended on fold 0, against
0.977), the pooled features beside the token scores inside the head (0.973), and blending each category's score
with the token head's score of that category instead of the top score with its harm (a move along the curve:
folds 0 to 2, 89.8 / 93.5 / 91.9 / 92.6 at review 0.35).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOKEN_LAYERS = (2, 3)  # MiniLM layers whose token outputs the head reads, side by side
HIDDEN = 256
EPOCHS = 8
BATCH = 128
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-3
DROPOUT = 0.1
POSITIVE_WEIGHT = 1.6  # as the heads' class weight


@dataclass(frozen=True)
class TokenHead:
    """Inference of the harm output: layer-normalised token vectors x (T, D); attention a = x @ attention + b;
    value v = gelu(x @ hidden.T + hidden_bias) @ output + output_bias; logit = softmax(a) . v."""

    layers: tuple[int, ...]
    norm_weight: np.ndarray   # (D,)
    norm_bias: np.ndarray     # (D,)
    attention: np.ndarray     # (D,)
    attention_bias: float
    hidden: np.ndarray        # (H, D)
    hidden_bias: np.ndarray   # (H,)
    output: np.ndarray        # (H,)
    output_bias: float

    FIELDS = ("norm_weight", "norm_bias", "attention", "hidden", "hidden_bias", "output")

    def logits(self, tokens: list[np.ndarray]) -> np.ndarray:
        """Harm logits (N,) of N texts, each given as its token vectors (T_i, D)."""
        import torch

        if not tokens:
            return np.zeros(0, dtype=np.float32)
        lengths = [len(t) for t in tokens]
        if min(lengths) < 1 or any(t.shape[1] != self.norm_weight.shape[0] for t in tokens):
            raise ValueError("every text needs at least one token vector of the head's width")
        with torch.inference_mode():
            x = torch.from_numpy(np.concatenate(tokens).astype(np.float32, copy=False))
            x = torch.nn.functional.layer_norm(x, x.shape[1:], torch.from_numpy(self.norm_weight),
                                               torch.from_numpy(self.norm_bias), 1e-5)
            attention = x @ torch.from_numpy(self.attention) + self.attention_bias                 # (N_tokens,)
            hidden = torch.nn.functional.gelu(torch.nn.functional.linear(
                x, torch.from_numpy(self.hidden), torch.from_numpy(self.hidden_bias)))
            value = hidden @ torch.from_numpy(self.output) + self.output_bias                       # (N_tokens,)
            out = [float((torch.softmax(a, 0) * v).sum()) for a, v in
                   zip(attention.split(lengths), value.split(lengths), strict=True)]
        return np.array(out, dtype=np.float32)

    def probabilities(self, tokens: list[np.ndarray]) -> np.ndarray:
        return (1.0 / (1.0 + np.exp(-self.logits(tokens)))).astype(np.float32)

    def arrays(self, prefix: str = "token_") -> dict[str, np.ndarray]:
        out = {prefix + name: getattr(self, name) for name in self.FIELDS}
        out.update({prefix + "layers": np.array(self.layers), prefix + "attention_bias": np.array(self.attention_bias),
                    prefix + "output_bias": np.array(self.output_bias)})
        return out

    @classmethod
    def from_arrays(cls, data, prefix: str = "token_") -> TokenHead:
        return cls(layers=tuple(int(n) for n in data[prefix + "layers"]),
                   attention_bias=float(data[prefix + "attention_bias"]),
                   output_bias=float(data[prefix + "output_bias"]),
                   **{name: np.asarray(data[prefix + name], dtype=np.float32) for name in cls.FIELDS})

    def consistent(self) -> bool:
        d = self.norm_weight.shape
        return (len(d) == 1 and self.norm_bias.shape == d == self.attention.shape and self.hidden.ndim == 2
                and self.hidden.shape[1] == d[0] and self.hidden_bias.shape == self.output.shape
                == (self.hidden.shape[0],) and bool(self.layers))


def fit_token_head(tokens: list[np.ndarray], targets: np.ndarray, sample_weight: np.ndarray, *,
                   layers: tuple[int, ...] = TOKEN_LAYERS, epochs: int = EPOCHS, seed: int = 0,
                   log=None) -> TokenHead:
    """Train the attention-pooled network on texts' token vectors (T_i, D) and multi-label targets (N, K), the last
    column harm at all; AdamW with a one-cycle learning rate, binary cross-entropy with positives weighing
    POSITIVE_WEIGHT and each text `sample_weight`. Deterministic for a seed on one thread."""
    import torch

    if len(tokens) != len(targets) or len(tokens) != len(sample_weight) or not tokens:
        raise ValueError("one target row and one weight per text, and at least one text")
    targets = torch.as_tensor(np.asarray(targets, dtype=np.float32))
    weight = torch.as_tensor(np.asarray(sample_weight, dtype=np.float32))
    width, outputs = tokens[0].shape[1], targets.shape[1]
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    norm = torch.nn.LayerNorm(width)
    attention = torch.nn.Linear(width, outputs)
    value = torch.nn.Sequential(torch.nn.Linear(width, HIDDEN), torch.nn.GELU(), torch.nn.Linear(HIDDEN, outputs))
    drop = torch.nn.Dropout(DROPOUT)
    modules = torch.nn.ModuleList([norm, attention, value, drop])  # in training mode from the start

    def forward(rows: list[int]) -> torch.Tensor:
        lengths = [len(tokens[r]) for r in rows]
        x = torch.zeros(len(rows), max(lengths), width)
        for i, r in enumerate(rows):
            x[i, : lengths[i]] = torch.from_numpy(np.asarray(tokens[r], dtype=np.float32))
        mask = torch.arange(x.shape[1])[None, :] < torch.tensor(lengths)[:, None]
        h = drop(norm(x))
        alpha = torch.softmax(attention(h).masked_fill(~mask[..., None], float("-inf")), dim=1)
        return (alpha * value(h)).sum(1)

    steps = epochs * -(-len(tokens) // BATCH)
    optimiser = torch.optim.AdamW(modules.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=LEARNING_RATE, total_steps=steps)
    positive = torch.tensor(POSITIVE_WEIGHT)
    for epoch in range(epochs):
        order = torch.randperm(len(tokens), generator=generator).tolist()
        total = 0.0
        for start in range(0, len(order), BATCH):
            rows = order[start:start + BATCH]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                forward(rows), targets[rows], reduction="none", pos_weight=positive).mean(1)
            loss = (loss * weight[rows]).sum() / weight[rows].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(rows)
        if log:
            log(f"token head: epoch {epoch + 1} of {epochs}, loss {total / len(tokens):.4f}")
    detach = lambda t: t.detach().numpy().astype(np.float32)  # noqa: E731
    return TokenHead(layers=tuple(layers), norm_weight=detach(norm.weight), norm_bias=detach(norm.bias),
                     attention=detach(attention.weight[-1]), attention_bias=float(attention.bias[-1].detach()),
                     hidden=detach(value[0].weight), hidden_bias=detach(value[0].bias),
                     output=detach(value[2].weight[-1]), output_bias=float(value[2].bias[-1].detach()))
