"""The learned layer: the plain-torch MiniLM encoder is the same model as transformers' BertModel, and the
sentence vectors it makes behave like sentence vectors."""

import numpy as np
import pytest
import torch

from safety.classifier import Embedder, prompt_classifier
from safety.minilm import MiniLMEncoder, native_bfloat16
from safety.normalise import normalise

TEXTS = ["a red ball bouncing", "une vidéo d'un chat qui dort sur un canapé au soleil", "x",
         "4 n4k3d w0m4n p0$1ng 0n 4 b3d", "a gory video of a man being decapitated in a dark alley, blood everywhere"]


def _padded(embedder: Embedder, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    encodings = embedder.tokenizer.encode_batch(texts)
    length = max(len(e.ids) for e in encodings)
    ids = torch.zeros((len(texts), length), dtype=torch.long)
    mask = torch.zeros((len(texts), length), dtype=torch.long)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = torch.tensor(e.ids)
        mask[row, : len(e.ids)] = 1
    return ids, mask


def test_the_float32_encoder_matches_transformers_bert():
    from transformers import BertModel

    embedder = prompt_classifier().embedder
    reference = BertModel.from_pretrained(str(embedder.model_dir), local_files_only=True).eval()
    ids, mask = _padded(embedder, TEXTS)
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    encoder = MiniLMEncoder(embedder.model_dir, torch.float32)
    real = mask[..., None].bool().expand_as(expected)
    for packed in (encoder.packed, {}):  # oneDNN's prepacked weights, then torch's own matmul
        encoder.packed = packed
        got = encoder(ids, mask)
        assert torch.allclose(got[real], expected[real], atol=1e-4)
        assert not got[~real].any()


@pytest.mark.skipif(not native_bfloat16(), reason="bfloat16 linear layers are used only on CPUs that have them")
def test_bfloat16_sentence_vectors_stay_within_the_measured_cosine_of_float32():
    # Measured over every corpus prompt and its normalised form: minimum cosine 0.99996 to float32.
    embedder = prompt_classifier().embedder
    assert embedder.model.linear_dtype == torch.bfloat16
    fast = embedder.encode(TEXTS)
    embedder_fp32 = Embedder()
    embedder_fp32.model = MiniLMEncoder(embedder.model_dir, torch.float32)
    exact = embedder_fp32.encode(TEXTS)
    assert ((fast * exact).sum(axis=1) > 0.9999).all()


def test_a_text_gets_the_same_vector_alone_and_batched_with_longer_ones():
    embedder = Embedder()
    embedder.model = MiniLMEncoder(embedder.model_dir, torch.float32)
    batched = embedder.encode(TEXTS)
    alone = np.concatenate([embedder.encode([t]) for t in TEXTS])
    assert np.allclose(batched, alone, atol=1e-5)
    # bfloat16 sums in an order that depends on the batch's token count: equal to rounding, not bit for bit
    fast = prompt_classifier().embedder.encode
    assert ((fast(TEXTS) * np.concatenate([fast([t]) for t in TEXTS])).sum(axis=1) > 0.9999).all()


def test_normalisation_restores_what_evasions_take_from_the_embedding():
    embed = prompt_classifier().embedder.encode
    original = "a naked woman posing on a bed"
    evasions = ["4 n4k3d w0m4n p0$1ng 0n 4 b3d", "а nаkеd wоmаn роsing оn а bеd"]  # leetspeak, Cyrillic
    control = "a wooden bench in a quiet park"
    base, benign = embed([original])[0], embed([control])[0]
    for evasive in evasions:
        raw = float(embed([evasive])[0] @ base)
        restored = float(embed([normalise(evasive).text])[0] @ base)
        assert restored > 0.8 and restored > raw + 0.5
        assert restored > float(benign @ base)


def test_scores_cover_every_category_and_rank_harm_above_benign():
    classifier = prompt_classifier()
    harmful, benign = classifier.scores(["a gory video of a man being decapitated", "a bowl of fruit on a table"])
    assert set(harmful) == set(benign)
    assert all(0.0 <= s <= 1.0 for s in harmful.values())
    assert max(harmful.values()) > 0.5 > max(benign.values())
    assert harmful["violence"] > 0.5 > benign["violence"]


def test_the_profanity_signal_matches_the_shipped_model():
    from profanity_check import predict_prob

    from safety.classifier import ProfanitySignal

    texts = ["a red ball bouncing", "you stupid piece of shit", "une vidéo d'un chat", "fuck off and die", "x",
             "The QUICK brown fox, and the lazy dog's bone!"]
    assert np.allclose(ProfanitySignal().score(texts), predict_prob(texts), atol=1e-6)
    assert np.allclose(ProfanitySignal(cache=None).score(texts), predict_prob(texts), atol=1e-6)


def test_the_profanity_arrays_are_read_only_for_the_version_they_came_from(tmp_path):
    from safety.classifier import ProfanitySignal

    signal = ProfanitySignal(cache=None)
    signal.save(tmp_path / "profanity.npz")
    cached = ProfanitySignal(cache=tmp_path / "profanity.npz")
    assert cached.words == signal.words and np.array_equal(cached.weights, signal.weights)
    stale = dict(np.load(tmp_path / "profanity.npz"))
    stale["words"] = stale["words"][:10]
    stale["version"] = np.array("0.0.1")
    np.savez(tmp_path / "stale.npz", **stale)
    assert len(ProfanitySignal(cache=tmp_path / "stale.npz").words) == len(signal.words)  # read from the package


def test_character_ngrams_match_sklearns_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from safety.classifier import CharNgrams

    corpus = ["un vídeo de un atentado", "ein Video von einer Schießerei", "a red ball", "a red, red ball!",
              "ＦＵＬＬ width", "p.o.r.n", "a"]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(corpus)
    ngrams = CharNgrams(tuple(vectoriser.get_feature_names_out()), vectoriser.idf_, (2, 5))
    texts = corpus + ["a sentence with many unseen words", "RED Ball"]
    expected = vectoriser.transform(texts).toarray()
    for row, text in enumerate(texts):
        columns, values = ngrams.sparse(text)
        got = np.zeros(expected.shape[1])
        got[columns] = values
        assert np.allclose(got, expected[row], atol=1e-12), text


def test_heads_with_ngrams_survive_a_round_trip_and_score_like_a_dense_product(tmp_path):
    from safety.classifier import Heads
    from safety.taxonomy import CATEGORIES

    rng = np.random.default_rng(0)
    dense, vocabulary = 2 * 384 + 1, ("ab", "bc", "cd")  # two pooled layers and the profanity score
    heads = Heads(CATEGORIES, rng.normal(size=(len(CATEGORIES), dense + 3)).astype(np.float32),
                  rng.normal(size=len(CATEGORIES)).astype(np.float32), ngrams=vocabulary,
                  idf=np.array([1.0, 2.0, 3.0]), ngram_range=(2, 2), layers=(5, 6), encoder="0123abcd")
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    assert loaded.ngrams == vocabulary and loaded.ngram_range == (2, 2) and loaded.dense_size == dense
    assert loaded.layers == (5, 6) and loaded.encoder == "0123abcd"
    features = rng.normal(size=(2, dense)).astype(np.float32)
    sparse = [(np.array([2, 0]), np.array([0.6, 0.8])), (np.zeros(0, dtype=np.int64), np.zeros(0))]
    full = np.zeros((2, dense + 3), dtype=np.float32)
    full[:, :dense] = features
    full[0, dense + 2], full[0, dense] = 0.6, 0.8
    expected = 1 / (1 + np.exp(-(full @ heads.weights.T + heads.bias)))
    assert np.allclose(loaded.predict(features, sparse), expected, atol=1e-5)


def test_heads_whose_weights_do_not_fit_their_vocabulary_are_refused(tmp_path):
    from safety.classifier import Heads
    from safety.errors import ModelUnavailable
    from safety.taxonomy import CATEGORIES

    np.savez(tmp_path / "heads.npz", categories=np.array(CATEGORIES), weights=np.zeros((len(CATEGORIES), 2)),
             bias=np.zeros(len(CATEGORIES)), ngrams=np.array(["ab", "bc", "cd"]), idf=np.ones(3),
             ngram_range=np.array([2, 2]))
    with pytest.raises(ModelUnavailable, match="inconsistent"):
        Heads.load(tmp_path / "heads.npz")


def test_the_shipped_heads_carry_character_ngrams():
    classifier = prompt_classifier()
    assert classifier.ngrams is not None and len(classifier.heads.ngrams) > 1000
    columns, values = classifier.ngrams.sparse("ein Video von einer Schießerei in einer Schule")
    assert len(columns) > 10 and np.isclose(np.linalg.norm(values), 1.0)


def test_heads_whose_weights_do_not_fit_their_layers_are_refused(tmp_path):
    from safety.classifier import Heads
    from safety.errors import ModelUnavailable
    from safety.taxonomy import CATEGORIES

    heads = Heads(CATEGORIES, np.zeros((len(CATEGORIES), 384 + 1), dtype=np.float32),
                  np.zeros(len(CATEGORIES), dtype=np.float32), layers=(5, 6))
    heads.save(tmp_path / "heads.npz")
    with pytest.raises(ModelUnavailable, match="layers"):
        Heads.load(tmp_path / "heads.npz")


def test_pooled_layers_match_transformers_hidden_states():
    from transformers import BertModel

    embedder = Embedder()
    embedder.model = MiniLMEncoder(embedder.model_dir, torch.float32)
    reference = BertModel.from_pretrained(str(embedder.model_dir), local_files_only=True).eval()
    ids, mask = _padded(embedder, TEXTS)
    with torch.inference_mode():
        states = reference(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
    layers = (1, 3, 6)
    got = embedder.encode_layers(TEXTS, layers).reshape(len(TEXTS), len(layers), -1)
    for column, layer in enumerate(layers):  # hidden_states[0] is the embedding layer's output
        pooled = (states[layer] * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        expected = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        assert np.allclose(got[:, column], expected, atol=1e-4)
    assert np.allclose(embedder.encode(TEXTS), got[:, 2], atol=1e-6)  # the sentence vector is the last layer's


def test_heads_that_read_layers_the_model_lacks_are_refused():
    from safety.classifier import Heads, PromptClassifier
    from safety.errors import ModelUnavailable
    from safety.taxonomy import CATEGORIES

    embedder = prompt_classifier().embedder
    heads = Heads(CATEGORIES, np.zeros((len(CATEGORIES), 2 * 384 + 1), dtype=np.float32),
                  np.zeros(len(CATEGORIES), dtype=np.float32), layers=(6, 7))
    with pytest.raises(ModelUnavailable, match="layers"):
        PromptClassifier(heads=heads, embedder=embedder, profanity=prompt_classifier().profanity)
    with pytest.raises(ValueError, match="layers"):
        embedder.encode_layers(["a red ball"], (0, 6))


def test_texts_that_tokenise_alike_are_encoded_once():
    embedder = Embedder()
    seen = []
    layer_outputs = embedder.model.layer_outputs

    def counting(ids, mask, layers, token_layers=()):
        seen.append(ids.shape[0])
        return layer_outputs(ids, mask, layers, token_layers)

    embedder.model.layer_outputs = counting
    # accents and capitals: the tokenizer folds them, so the first three are one token sequence
    texts = ["une vidéo d'une balle rouge", "une video d'une balle rouge", "UNE VIDÉO D'UNE BALLE ROUGE",
             "une vidéo d'une balle bleue"]
    vectors = embedder.encode_layers(texts, (6,))
    assert seen == [2]
    assert np.array_equal(vectors[0], vectors[1]) and np.array_equal(vectors[1], vectors[2])
    # each text gets its own sequence's token outputs, the same as when it is encoded alone
    _, tokens = embedder.encode_with_tokens(texts, (6,), (2, 3))
    assert np.array_equal(tokens[0], tokens[2]) and tokens[3].shape[1] == 768
    assert np.allclose(tokens[3], embedder.encode_with_tokens([texts[3]], (6,), (2, 3))[1][0], atol=1e-2)
    assert np.allclose(vectors[3], embedder.encode_layers([texts[3]], (6,))[0], atol=1e-3)
    assert not np.allclose(vectors[0], vectors[3], atol=1e-2)


def test_a_harm_head_survives_a_round_trip_and_scales_the_category_scores_together(tmp_path):
    from safety.classifier import Heads
    from safety.taxonomy import CATEGORIES

    rng = np.random.default_rng(1)
    dense = 384 + 1
    category_weights = rng.normal(size=(len(CATEGORIES), dense)).astype(np.float32)
    category_bias = (rng.normal(size=len(CATEGORIES)) * 0.3 - 1.0).astype(np.float32)  # no category is sure
    harm_weights = rng.normal(size=dense).astype(np.float32)
    heads = Heads(CATEGORIES, category_weights, category_bias, harm_weights=harm_weights, harm_bias=-0.5,
                  harm_share=0.7)
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    assert loaded.harm_share == 0.7 and loaded.harm_bias == -0.5
    features = rng.normal(size=(3, dense)).astype(np.float32) * 0.02
    categories = 1 / (1 + np.exp(-(features @ category_weights.T + category_bias)))
    assert categories.max() < 0.8  # below KEEP_CONFIDENT: the harm head may lower them too
    harm = 1 / (1 + np.exp(-(features @ harm_weights - 0.5)))
    scores = loaded.predict(features)
    top = categories.max(axis=1)
    # the top category scores the weighted geometric mean of its probability and the harm head's ...
    assert np.allclose(scores.max(axis=1), top ** 0.3 * harm ** 0.7, atol=1e-5)
    # ... and every category keeps its ratio to the top one
    assert np.allclose(scores / scores.max(axis=1, keepdims=True), categories / top[:, None], atol=1e-5)
    without = Heads(CATEGORIES, category_weights, category_bias)
    assert np.allclose(without.predict(features), categories, atol=1e-6)


def test_a_harm_head_never_lowers_a_category_the_category_heads_are_sure_of():
    from safety.classifier import KEEP_CONFIDENT, Heads
    from safety.taxonomy import CATEGORIES

    dense = 384 + 1
    bias = np.full(len(CATEGORIES), -3.0, dtype=np.float32)
    bias[CATEGORIES.index("sexual/minors")] = 3.0  # sure: 0.95
    zeros = np.zeros((len(CATEGORIES), dense), dtype=np.float32)
    features = np.zeros((1, dense), dtype=np.float32)
    sure = 1 / (1 + np.exp(-3.0))
    assert sure >= KEEP_CONFIDENT
    doubtful = Heads(CATEGORIES, zeros, bias, harm_weights=np.zeros(dense, dtype=np.float32), harm_bias=-4.0)
    scores = doubtful.predict(features)[0]
    assert np.isclose(scores[CATEGORIES.index("sexual/minors")], sure, atol=1e-6)  # not lowered
    convinced = Heads(CATEGORIES, zeros, bias, harm_weights=np.zeros(dense, dtype=np.float32), harm_bias=6.0)
    assert convinced.predict(features)[0][CATEGORIES.index("sexual/minors")] > sure  # raised
    bias[CATEGORIES.index("sexual/minors")] = 0.0  # unsure: 0.5, lowered by a harm head that reads it as benign
    unsure = Heads(CATEGORIES, zeros, bias, harm_weights=np.zeros(dense, dtype=np.float32), harm_bias=-4.0)
    assert unsure.predict(features)[0][CATEGORIES.index("sexual/minors")] < 0.1


def test_a_harm_head_that_does_not_fit_the_category_heads_is_refused(tmp_path):
    from safety.classifier import Heads
    from safety.errors import ModelUnavailable
    from safety.taxonomy import CATEGORIES

    heads = Heads(CATEGORIES, np.zeros((len(CATEGORIES), 384 + 1), dtype=np.float32),
                  np.zeros(len(CATEGORIES), dtype=np.float32), harm_weights=np.zeros(384, dtype=np.float32))
    heads.save(tmp_path / "heads.npz")
    with pytest.raises(ModelUnavailable, match="harm head"):
        Heads.load(tmp_path / "heads.npz")


def test_the_shipped_heads_carry_a_harm_head():
    heads = prompt_classifier().heads
    assert heads.harm_weights is not None and heads.harm_weights.shape == heads.weights.shape[1:]
