"""The learned layer: the plain-torch MiniLM encoder is the same model as transformers' BertModel, and the
sentence vectors it makes behave like sentence vectors."""

import numpy as np
import torch

from safety.classifier import prompt_classifier
from safety.normalise import normalise


def test_the_encoder_matches_transformers_bert():
    from transformers import BertModel

    embedder = prompt_classifier().embedder
    reference = BertModel.from_pretrained(str(embedder.model_dir), local_files_only=True).eval()
    texts = ["a red ball bouncing", "une vidéo d'un chat qui dort sur un canapé au soleil", "x"]
    encodings = embedder.tokenizer.encode_batch(texts)
    length = max(len(e.ids) for e in encodings)
    ids = torch.zeros((3, length), dtype=torch.long)
    mask = torch.zeros((3, length), dtype=torch.long)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = torch.tensor(e.ids)
        mask[row, : len(e.ids)] = 1
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    got = embedder.model(ids, mask)
    real = mask[..., None].bool().expand_as(got)
    assert torch.allclose(got[real], expected[real], atol=1e-4)


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

    texts = ["a red ball bouncing", "you stupid piece of shit", "une vidéo d'un chat", "fuck off and die", "x"]
    assert np.allclose(ProfanitySignal().score(texts), predict_prob(texts), atol=1e-6)
