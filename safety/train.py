"""Training of the per-category logistic heads on MiniLM embeddings of the corpus's train split."""

from __future__ import annotations

import numpy as np

from .classifier import HEADS_PATH, Embedder, Heads, ProfanitySignal
from .corpus import Example, _bucket, load_corpus
from .normalise import normalise
from .taxonomy import CATEGORIES


def featurise(texts: list[str], embedder: Embedder, profanity: ProfanitySignal, batch: int = 64) -> np.ndarray:
    vectors = [embedder.encode(texts[i:i + batch]) for i in range(0, len(texts), batch)]
    return np.concatenate([np.concatenate(vectors), profanity.score(texts)[:, None]], axis=1)


def fit_heads(examples: list[Example], *, regularisation: float = 2.0, benign_weight: float = 2.0) -> Heads:
    """One balanced logistic regression per category, on the raw and the normalised text of each example."""
    from sklearn.linear_model import LogisticRegression

    embedder, profanity = Embedder(), ProfanitySignal()
    texts = [e.text for e in examples] + [normalise(e.text).text for e in examples]
    labels = [set(e.categories) for e in examples] * 2
    features = featurise(texts, embedder, profanity)
    # Benign prompts are the many look-alikes a category must not swallow: they weigh more than one positive.
    sample_weight = np.array([benign_weight if not y else 1.0 for y in labels])
    weights, bias = [], []
    for category in CATEGORIES:
        target = np.array([category in y for y in labels], dtype=int)
        model = LogisticRegression(C=regularisation, class_weight={0: 1.0, 1: 1.6}, max_iter=2000, random_state=0)
        model.fit(features, target, sample_weight=sample_weight)
        weights.append(model.coef_[0])
        bias.append(model.intercept_[0])
    return Heads(CATEGORIES, np.array(weights, dtype=np.float32), np.array(bias, dtype=np.float32))


def train(*, validation: bool = False) -> dict:
    """Fit on the train split and save the heads; with validation=True, first fit on four fifths of the
    train seeds and return the gate's figures on the held-back fifth (the test split is never touched)."""
    from .evaluate import evaluate_examples

    train_split = [e for e in load_corpus() if e.split == "train"]
    report: dict = {}
    if validation:
        fit = [e for e in train_split if _bucket("val|" + e.seed, 5) != 0]
        held = [e for e in train_split if _bucket("val|" + e.seed, 5) == 0]
        fit_heads(fit).save(HEADS_PATH)
        from . import classifier

        classifier._classifier = None
        report = evaluate_examples(held)
    fit_heads(train_split).save(HEADS_PATH)
    from . import classifier

    classifier._classifier = None
    return report
