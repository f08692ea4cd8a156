"""The BERT encoder of all-MiniLM-L6-v2 in plain torch, reading the safetensors file the package ships.

Why not transformers' BertModel: importing transformers costs about 4 s and its forward pass adds a few
milliseconds of Python per call, which together break the gate's cold-start and latency budgets. This is the
same computation (tests/safety/test_classifier.py checks it against BertModel), with two changes for speed:

- The texts of a batch are packed into one sequence without padding and attend only within their own text, so a
  short text batched with a long one costs its own length, not the long one's.
- On CPUs with native bfloat16 dot products (AVX512-BF16 or AMX) the linear layers, which are most of the time,
  multiply in bfloat16 through oneDNN with weights packed once; embeddings, layer norms, attention and the residual
  stream stay float32. With the packing this halves the CPU time of a prompt; sentence vectors stay within a
  cosine of 0.99996 of float32 over every corpus prompt and its normalised form. Elsewhere bfloat16 is emulated
  and slower than float32, so float32 is kept there (still with packed weights, about two thirds the time).

Measured and not taken: int8 weights per output channel with dynamically quantised activations (torch's
quantize_dynamic, onnxruntime's per-channel int8) are faster but move vectors to a cosine of 0.94 and 0.97; int8
activations per token are no faster than bfloat16 here and reach only 0.99; onnxruntime in float32 is exact but
slower than the packed oneDNN path and needs a 90 MB export at install time. Judged by what the gate does rather
than by cosine, with the heads refitted on the int8 vectors (per-channel, five folds of the 21,660-prompt corpus's
train split, side by side with these vectors): harmful caught 77.9% against 78.3%, evasions 86.4% against 87.3%,
benign allowed 87.4% against 87.2%, for an encoder about 15% faster (p50 6.3 against 7.4 ms on corpus prompts).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

_LINEARS = ("attention.self.qkv", "attention.output.dense", "intermediate.dense", "output.dense")


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (else torch emulates it, slower than float32)."""
    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check() for check in checks if check is not None)


def pad_tokens(sequences) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id sequences -> ids (B, T), right-padded with zeros, and the attention mask (B, T)."""
    length = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), length), dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1
    return ids, mask


class MiniLMEncoder:
    """Token ids (B, T) and attention mask (B, T) -> last hidden states (B, T, hidden); padding rows are zero."""

    def __init__(self, model_dir: Path, linear_dtype: torch.dtype | None = None,
                 tuned: dict[str, torch.Tensor] | None = None) -> None:
        """`tuned`: tensors that replace the shipped ones of the same name and shape (safety/finetune.py)."""
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError(f"{model_dir} is not a BERT model with gelu activations")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.hidden = int(config["hidden_size"])
        if linear_dtype is None:
            linear_dtype = torch.bfloat16 if native_bfloat16() else torch.float32
        self.linear_dtype = linear_dtype
        self.weights = {k: v.float() for k, v in load_file(str(model_dir / "model.safetensors")).items()}
        for name, value in (tuned or {}).items():
            if name not in self.weights or self.weights[name].shape != value.shape:
                raise ValueError(f"the tuned tensor {name} {tuple(value.shape)} is not one of {model_dir.name}'s")
            self.weights[name] = value.float()
        for i in range(self.layers):  # one projection for query, key and value
            prefix = f"encoder.layer.{i}.attention.self."
            for part in ("weight", "bias"):
                self.weights[prefix + "qkv." + part] = torch.cat([self.weights.pop(f"{prefix}{n}.{part}")
                                                                  for n in ("query", "key", "value")])
            for name in _LINEARS:
                for part in ("weight", "bias"):
                    key = f"encoder.layer.{i}.{name}.{part}"
                    self.weights[key] = self.weights[key].to(linear_dtype)
        # oneDNN with weights laid out once for its kernels beats torch's default matmul on few tokens
        self.packed = {}
        if torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise"):
            self.packed = {name: torch.ops.mkldnn._reorder_linear_weight(self.weights[name + ".weight"], 32)
                           for name in (f"encoder.layer.{i}.{n}" for i in range(self.layers) for n in _LINEARS)}

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w = self.weights
        return F.layer_norm(x, (self.hidden,), w[name + ".weight"], w[name + ".bias"], self.eps)

    def _linear(self, x: torch.Tensor, name: str, gelu: bool = False) -> torch.Tensor:
        bias = self.weights[name + ".bias"]
        if name in self.packed:
            return torch.ops.mkldnn._linear_pointwise(x, self.packed[name], bias, "gelu" if gelu else "none", [],
                                                      "none" if gelu else "")
        out = F.linear(x, self.weights[name + ".weight"], bias)
        return F.gelu(out) if gelu else out

    def _states(self, ids: torch.Tensor, mask: torch.Tensor):
        """The packed hidden states (N, D) over the batch's real tokens after each layer, first to last."""
        w, low = self.weights, self.linear_dtype
        batch, length = ids.shape
        real = mask.bool()
        positions = torch.arange(length).expand(batch, length)[real]                    # (N,) over real tokens
        x = w["embeddings.word_embeddings.weight"][ids[real]] + w["embeddings.position_embeddings.weight"][positions]
        x = self._norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")  # (N, D)
        lengths = [n for n in mask.sum(1).tolist() if n]
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = self._linear(x.to(low), p + "attention.self.qkv").float()                # (N, 3D)
            q, k, v = qkv.view(-1, 3, self.heads, self.hidden // self.heads).permute(1, 2, 0, 3)  # each (H, N, D/H)
            # each text attends only to itself: one attention per text, without an (N, N) mask
            texts = zip(q.split(lengths, 1), k.split(lengths, 1), v.split(lengths, 1), strict=True)
            attended = torch.cat([F.scaled_dot_product_attention(*text) for text in texts], dim=1)  # (H, N, D/H)
            attended = attended.transpose(0, 1).reshape(-1, self.hidden)                    # (N, D)
            out = self._linear(attended.to(low), p + "attention.output.dense").float()
            x = self._norm(x + out, p + "attention.output.LayerNorm")
            hidden = self._linear(x.to(low), p + "intermediate.dense", gelu=True)             # (N, 4D)
            x = self._norm(x + self._linear(hidden, p + "output.dense").float(), p + "output.LayerNorm")
            yield x

    @torch.inference_mode()
    def __call__(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        *_, x = self._states(ids, mask)                                                    # the last layer's
        unpacked = torch.zeros(*ids.shape, self.hidden)
        unpacked[mask.bool()] = x
        return unpacked                                                                     # (B, T, D)

    @torch.inference_mode()
    @torch.inference_mode()
    def layer_outputs(self, ids: torch.Tensor, mask: torch.Tensor, layers: tuple[int, ...],
                      token_layers: tuple[int, ...] = ()) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mean over each text's tokens of the outputs of `layers` (1 is the first layer, self.layers the last):
        (B, len(layers), D); and the outputs of `token_layers` at every real token side by side, packed text after
        text in the order of the batch: (number of real tokens, len(token_layers) * D), or None without
        `token_layers`. Every text of the batch must have at least one token."""
        wanted = tuple(layers) + tuple(token_layers)
        if not layers or min(wanted) < 1 or max(wanted) > self.layers:
            raise ValueError(f"layers must lie in 1..{self.layers}, not {layers} and {token_layers}")
        rows = torch.arange(ids.shape[0]).expand(ids.shape[1], -1).T[mask.bool()]        # (N,) text of each token
        counts = mask.sum(1, keepdim=True).float()
        means, tokens = [], []
        for number, x in enumerate(self._states(ids, mask), start=1):
            if number in layers:
                means.append(torch.zeros(ids.shape[0], self.hidden).index_add_(0, rows, x) / counts)
            if number in token_layers:
                tokens.append(x)
            if number >= max(wanted):
                break
        return torch.stack(means, dim=1), (torch.cat(tokens, dim=1) if tokens else None)
