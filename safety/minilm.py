"""The BERT encoder of all-MiniLM-L6-v2 in plain torch, reading the safetensors file the package ships.

Why not transformers' BertModel: importing transformers costs about 4 s and its forward pass adds a few
milliseconds of Python per call, which together break the gate's cold-start and latency budgets. This is the
same computation (tests/safety/test_classifier.py checks it against BertModel to 1e-5), nothing more.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


class MiniLMEncoder:
    """Token ids (B, T) and attention mask (B, T) -> last hidden states (B, T, hidden)."""

    def __init__(self, model_dir: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError(f"{model_dir} is not a BERT model with gelu activations")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.weights = {k: v.float() for k, v in load_file(str(model_dir / "model.safetensors")).items()}
        for i in range(self.layers):  # one projection for query, key and value
            prefix = f"encoder.layer.{i}.attention.self."
            self.weights[prefix + "qkv.weight"] = torch.cat([self.weights[prefix + n + ".weight"]
                                                             for n in ("query", "key", "value")])
            self.weights[prefix + "qkv.bias"] = torch.cat([self.weights[prefix + n + ".bias"]
                                                           for n in ("query", "key", "value")])

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w = self.weights
        return F.layer_norm(x, x.shape[-1:], w[name + ".weight"], w[name + ".bias"], self.eps)

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.weights[name + ".weight"], self.weights[name + ".bias"])

    @torch.inference_mode()
    def __call__(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        w = self.weights
        batch, length = ids.shape
        positions = torch.arange(length)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions]
        x = self._norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")  # (B, T, D)
        # padding keys are masked out of every query's attention
        bias = torch.zeros(batch, 1, 1, length).masked_fill(mask[:, None, None, :] == 0, float("-inf"))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = self._linear(x, p + "attention.self.qkv")  # (B, T, 3D)
            q, k, v = qkv.view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)  # each (B, H, T, D/H)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            attended = attended.transpose(1, 2).reshape(batch, length, -1)  # (B, T, D)
            x = self._norm(x + self._linear(attended, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            hidden = F.gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(hidden, p + "output.dense"), p + "output.LayerNorm")
        return x
