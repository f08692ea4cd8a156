"""The tuned encoder: what fine-tuning changes, how the tuned tensors are stored and laid over the shipped
MiniLM, and that heads are only ever used with the encoder whose features they were fitted on."""

import numpy as np
import pytest
import torch

from safety.classifier import STOCK_ENCODER, Embedder, Heads, PromptClassifier, prompt_classifier
from safety.corpus import load_corpus
from safety.errors import ModelUnavailable
from safety.finetune import FROZEN, finetune_encoder, save_encoder
from safety.taxonomy import CATEGORIES


def test_fine_tuning_moves_every_layer_but_the_word_embeddings_and_round_trips_through_a_file(tmp_path):
    corpus = [e for e in load_corpus() if e.split == "train"]
    examples = [e for e in corpus if e.kind == "harmful"][:24:2] + [e for e in corpus if e.kind == "benign"][:24:2]
    stock = Embedder(None)
    lines = []
    tensors = finetune_encoder(examples, stock.model_dir, epochs=2, learning_rate=1e-4, batch=8, log=lines.append)
    assert lines[-1].startswith("  encoder step 12/12")  # 24 examples, raw and normalised, 2 epochs of 8
    assert not set(FROZEN) & set(tensors)
    for name in ("encoder.layer.0.attention.self.query.weight", "encoder.layer.5.output.dense.weight",
                 "encoder.layer.5.output.LayerNorm.weight"):
        before = _shipped(stock, name)
        assert tensors[name].shape == before.shape and not torch.equal(tensors[name], before)

    path = tmp_path / "encoder.safetensors"
    save_encoder(tensors, path)
    from_file, in_memory = Embedder(path), Embedder(tensors)
    assert from_file.encoder_id != STOCK_ENCODER and from_file.encoder_id == Embedder(path).encoder_id
    texts = ["a red ball bouncing", "a gory video of a man being decapitated"]
    # stored in bfloat16: the same vectors to rounding; and not the shipped model's
    assert ((from_file.encode(texts) * in_memory.encode(texts)).sum(1) > 0.999).all()
    assert ((from_file.encode(texts) * stock.encode(texts)).sum(1) < 0.9999).all()


def _shipped(embedder: Embedder, name: str) -> torch.Tensor:
    """A shipped tensor by its transformers name (the encoder keeps query, key and value as one matrix)."""
    from safetensors.torch import load_file

    return load_file(str(embedder.model_dir / "model.safetensors"))[name].float()


def test_tuned_tensors_that_are_not_minilms_are_refused():
    with pytest.raises(ModelUnavailable, match="does not fit"):
        Embedder({"encoder.layer.0.output.dense.weight": torch.zeros(3, 3)})
    with pytest.raises(ModelUnavailable, match="does not fit"):
        Embedder({"encoder.layer.9.output.dense.weight": torch.zeros(384, 1536)})


def test_a_missing_tuned_encoder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailable, match="python -m safety train"):
        Embedder(tmp_path / "encoder.safetensors")


def test_heads_fitted_on_another_encoders_features_are_refused(tmp_path, monkeypatch):
    from safety import classifier

    shipped = prompt_classifier()
    zeros = (np.zeros((len(CATEGORIES), 384 + 1), dtype=np.float32), np.zeros(len(CATEGORIES), dtype=np.float32))
    tuned_heads = Heads(CATEGORIES, *zeros, encoder="0123456789abcdef")
    with pytest.raises(ModelUnavailable, match="fitted on the features of encoder 0123456789abcdef"):
        PromptClassifier(heads=tuned_heads, embedder=Embedder(), profanity=shipped.profanity)
    # heads of a tuned encoder look for it where training saves it, and say how to make it when it is not there
    monkeypatch.setattr(classifier, "ENCODER_PATH", tmp_path / "encoder.safetensors")
    with pytest.raises(ModelUnavailable, match="--tune-encoder"):
        PromptClassifier(heads=tuned_heads, profanity=shipped.profanity)
    # heads of the installed encoder get the installed encoder when none is given
    stock_heads = Heads(CATEGORIES, *zeros, encoder=STOCK_ENCODER)
    assert PromptClassifier(heads=stock_heads, profanity=shipped.profanity).embedder.encoder_id == STOCK_ENCODER


def test_the_shipped_classifier_reads_the_encoder_its_heads_name():
    classifier = prompt_classifier()
    assert classifier.heads.encoder == classifier.embedder.encoder_id
    assert Embedder().encoder_id == STOCK_ENCODER


def test_training_with_a_tuned_encoder_saves_it_and_heads_that_name_it(tmp_path, monkeypatch):
    from safety import classifier, train

    corpus = [e for e in load_corpus() if e.split == "train"]
    examples = [e for c in CATEGORIES for e in [e for e in corpus if e.kind == "harmful" and c in e.categories][:2]]
    examples += [e for e in corpus if e.kind == "benign"][:40:4]
    monkeypatch.setattr(train, "load_corpus", lambda: examples)
    monkeypatch.setattr(train, "ENCODER_PATH", tmp_path / "encoder.safetensors")
    monkeypatch.setattr(train, "HEADS_PATH", tmp_path / "heads.npz")
    monkeypatch.setattr(train, "PROFANITY_PATH", tmp_path / "profanity.npz")
    monkeypatch.setattr(classifier, "ENCODER_PATH", tmp_path / "encoder.safetensors")
    saved = classifier._classifier
    try:
        train.train(finetune=True, log=None)
        heads = Heads.load(tmp_path / "heads.npz")
        assert heads.encoder == Embedder(tmp_path / "encoder.safetensors").encoder_id != STOCK_ENCODER
        loaded = PromptClassifier(tmp_path / "heads.npz", profanity=prompt_classifier().profanity)
        assert loaded.embedder.encoder_id == heads.encoder
        assert set(loaded.scores(["a red ball bouncing"])[0]) == set(CATEGORIES)
    finally:
        classifier._classifier = saved
