"""The token head: attention-pooled scores over every token, trained by fit_token_head and blended into the
heads' scores."""

import numpy as np
import pytest

from safety.taxonomy import CATEGORIES
from safety.tokens import TokenHead, fit_token_head

WIDTH = 768


def _random_head(rng: np.random.Generator, hidden: int = 8) -> TokenHead:
    return TokenHead(layers=(2, 3), norm_weight=rng.normal(1.0, 0.1, WIDTH).astype(np.float32),
                     norm_bias=rng.normal(0, 0.1, WIDTH).astype(np.float32),
                     attention=rng.normal(0, 0.1, WIDTH).astype(np.float32), attention_bias=0.3,
                     hidden=rng.normal(0, 0.1, (hidden, WIDTH)).astype(np.float32),
                     hidden_bias=rng.normal(0, 0.1, hidden).astype(np.float32),
                     output=rng.normal(0, 1.0, hidden).astype(np.float32), output_bias=-0.2)


def _reference_logit(head: TokenHead, x: np.ndarray) -> float:
    from scipy.special import erf

    x = x.astype(np.float64)
    x = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * head.norm_weight + head.norm_bias
    a = x @ head.attention + head.attention_bias
    alpha = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
    pre = x @ head.hidden.T + head.hidden_bias
    hidden = 0.5 * pre * (1 + erf(pre / np.sqrt(2)))
    return float(alpha @ (hidden @ head.output + head.output_bias))


def test_the_token_head_pools_each_texts_own_tokens_by_attention():
    rng = np.random.default_rng(0)
    head = _random_head(rng)
    texts = [rng.normal(size=(n, WIDTH)).astype(np.float32) for n in (1, 7, 3)]
    together = head.logits(texts)
    for text, logit in zip(texts, together, strict=True):
        assert np.isclose(logit, _reference_logit(head, text), atol=1e-4)
        assert np.isclose(head.logits([text])[0], logit, atol=1e-5)  # batching never mixes texts
    assert np.allclose(head.probabilities(texts), 1 / (1 + np.exp(-together)), atol=1e-6)
    with pytest.raises(ValueError, match="at least one token"):
        head.logits([np.zeros((0, WIDTH), dtype=np.float32)])


def test_fit_token_head_finds_the_one_token_that_makes_a_text_harmful():
    """Harm carried by a single token among many ordinary ones: what a mean over the tokens dilutes."""
    rng = np.random.default_rng(1)
    marker = rng.normal(size=WIDTH).astype(np.float32) * 1.5

    def make(n: int) -> tuple[list[np.ndarray], np.ndarray]:
        texts, harmful = [], rng.random(n) < 0.5
        for bad in harmful:
            x = rng.normal(size=(int(rng.integers(8, 24)), WIDTH)).astype(np.float32)
            if bad:
                x[rng.integers(len(x))] += marker
            texts.append(x)
        return texts, harmful

    texts, harmful = make(600)
    targets = np.stack([harmful, harmful], axis=1).astype(np.float32)  # one category and harm at all
    head = fit_token_head(texts, targets, np.ones(len(texts)), epochs=6)
    held, truth = make(200)
    scores = head.probabilities(held)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(truth, scores) > 0.95
    with pytest.raises(ValueError, match="one target row"):
        fit_token_head(texts, targets[:-1], np.ones(len(texts)))


def _heads(token_head: TokenHead | None, category_bias: float, harm_bias: float, share: float = 0.2):
    from safety.classifier import Heads

    dense = 384 * 3 + 1
    bias = np.full(len(CATEGORIES), -4.0, dtype=np.float32)
    bias[CATEGORIES.index("violence")] = category_bias
    bias[CATEGORIES.index("hate")] = category_bias - 1.0
    return Heads(CATEGORIES, np.zeros((len(CATEGORIES), dense), dtype=np.float32), bias, layers=(1, 2, 3),
                 harm_weights=np.zeros(dense, dtype=np.float32), harm_bias=harm_bias, token_head=token_head,
                 token_share=share), np.zeros((1, dense), dtype=np.float32)


def test_the_token_heads_harm_moves_the_top_score_and_keeps_the_others_ratio_to_it(tmp_path):
    from safety.classifier import Heads

    rng = np.random.default_rng(2)
    head = _random_head(rng)
    heads, features = _heads(head, category_bias=-1.0, harm_bias=-0.5)
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    assert loaded.token_share == 0.2 and loaded.token_head.layers == (2, 3)
    tokens = [rng.normal(size=(5, WIDTH)).astype(np.float32)]
    assert np.allclose(loaded.token_head.logits(tokens), head.logits(tokens), atol=1e-6)
    plain, _ = _heads(None, category_bias=-1.0, harm_bias=-0.5)
    before = plain.predict(features)[0]
    assert before.max() < 0.8
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    for token_harm in (0.05, 0.95):
        after = loaded.predict(features, token_harm=np.array([token_harm]))[0]
        top = after.max()
        assert np.isclose(logit(top), 0.8 * logit(before.max()) + 0.2 * logit(token_harm), atol=1e-4)
        assert (top > before.max()) == (token_harm > before.max())
        assert np.allclose(after / top, before / before.max(), atol=1e-5)
    with pytest.raises(ValueError, match="token head"):
        loaded.predict(features)


def test_the_token_head_never_lowers_a_sure_score():
    rng = np.random.default_rng(3)
    heads, features = _heads(_random_head(rng), category_bias=4.0, harm_bias=4.0)
    plain, _ = _heads(None, category_bias=4.0, harm_bias=4.0)
    sure = plain.predict(features)[0].max()
    assert sure >= 0.8
    assert np.isclose(heads.predict(features, token_harm=np.array([0.001]))[0].max(), sure, atol=1e-6)
    assert heads.predict(features, token_harm=np.array([0.999]))[0].max() > sure


def test_a_token_head_that_does_not_fit_its_layers_is_refused(tmp_path):
    from safety.classifier import Heads
    from safety.errors import ModelUnavailable

    rng = np.random.default_rng(4)
    head = _random_head(rng)
    narrow = TokenHead(**{**head.__dict__, "layers": (3,)})  # one layer is 384 wide, not 768
    heads, _ = _heads(narrow, category_bias=-1.0, harm_bias=0.0)
    heads.save(tmp_path / "heads.npz")
    with pytest.raises(ModelUnavailable, match="token head"):
        Heads.load(tmp_path / "heads.npz")


def test_the_shipped_heads_carry_a_token_head_the_classifier_uses():
    from safety.classifier import prompt_classifier

    classifier = prompt_classifier()
    head = classifier.heads.token_head
    assert head is not None and head.consistent()
    texts = ["a white circle bounces", "cooking dmt in a bathroom lab"]
    _, tokens = classifier.embedder.encode_with_tokens(texts, classifier.heads.layers, head.layers)
    assert [len(t) for t in tokens] == [len(classifier.embedder.tokenizer.encode(t).ids) for t in texts]
    assert all(t.shape[1] == 384 * len(head.layers) for t in tokens)
    harm = head.probabilities(tokens)
    assert harm[1] > harm[0]


def test_the_gate_gives_the_token_head_the_normalised_prompt_only(monkeypatch):
    """Markup and odd spellings left in the raw prompt are not read as harm token by token."""
    from safety import moderate_prompt
    from safety.classifier import prompt_classifier
    from safety.normalise import normalise

    classifier = prompt_classifier()
    read = []
    probabilities = TokenHead.probabilities

    def spying(self, tokens):
        read.extend(len(t) for t in tokens)
        return probabilities(self, tokens)

    monkeypatch.setattr(TokenHead, "probabilities", spying)
    prompt = "a couple shouting at each other <script>window.pwned = 1</script>"
    normalised = normalise(prompt).text
    assert normalised != " ".join(prompt.casefold().split())  # the heads read both texts
    moderate_prompt(prompt)
    assert read == [len(classifier.embedder.tokenizer.encode(normalised).ids)]
    raw, clean = classifier.scores([prompt, normalised], token_text=normalised)
    alone = classifier.scores([normalised])[0]
    assert clean == pytest.approx(alone, abs=1e-4)  # the same token harm as the normalised text's own
    assert raw != pytest.approx(classifier.scores([prompt])[0], abs=1e-4)  # not the raw text's own
