"""The built-in text-to-video model: an open_clip text transformer and a spatio-temporal diffusion transformer.

Video is cut into space-time patches (tubelets); text tokens join the video tokens in every attention
layer (in-context conditioning), and the pooled text feature plus the flow time steer each block through
adaptive layer norm (adaLN-Zero, as in DiT).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from einops import rearrange
from open_clip.tokenizer import SimpleTokenizer
from open_clip.transformer import TextTransformer
from safetensors.torch import load_file, save_file
from torch import nn

from .types import BackendUnavailable

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


@dataclass
class VideoModelConfig:
    """Sizes of the built-in model; the defaults are the shipped CPU-sized model."""

    frames: int = 16  # native clip length
    size: int = 64  # native height = width
    patch_t: int = 2  # tubelet depth in frames
    patch_s: int = 8  # tubelet side in pixels
    dim: int = 192  # transformer width
    depth: int = 6
    heads: int = 6
    mlp_ratio: float = 4.0
    head_hidden: int = 512  # width of the per-token decoder MLP
    text_context: int = 24  # tokens per caption, SOT and EOT included
    text_width: int = 128
    text_layers: int = 3
    text_heads: int = 4
    vocab_size: int = 49408  # open_clip's bundled BPE vocabulary

    @property
    def tokens(self) -> int:
        return (self.frames // self.patch_t) * (self.size // self.patch_s) ** 2


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of the flow time t in [0, 1]: (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale[:, None]) + shift[:, None]


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        # Normalised queries and keys keep attention logits tame at high learning rates.
        q, k = F.normalize(q, dim=-1) * 4.0, F.normalize(k, dim=-1) * 4.0
        out = F.scaled_dot_product_attention(q, k, v, scale=1.0)
        return self.proj(rearrange(out, "b h n d -> b n (h d)"))


class Block(nn.Module):
    """Transformer block over [text tokens; video tokens] with adaLN-Zero modulation."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))
        self.ada = nn.Linear(dim, 6 * dim)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(F.silu(c)).chunk(6, dim=-1)
        x = x + gate1[:, None] * self.attn(modulate(self.norm1(x), shift1, scale1))
        return x + gate2[:, None] * self.mlp(modulate(self.norm2(x), shift2, scale2))


class TextEncoder(nn.Module):
    """open_clip's text transformer with its bundled BPE tokenizer, trained from scratch with the video model."""

    def __init__(self, config: VideoModelConfig):
        super().__init__()
        self.context = config.text_context
        self.transformer = TextTransformer(
            context_length=config.text_context,
            vocab_size=config.vocab_size,
            width=config.text_width,
            heads=config.text_heads,
            layers=config.text_layers,
            output_dim=config.dim,
            output_tokens=True,
        )
        self.token_proj = nn.Linear(config.text_width, config.dim)
        self._tokenizer = SimpleTokenizer(context_length=config.text_context)

    def tokenize(self, captions: list[str]) -> torch.Tensor:
        """Captions -> token ids (B, context); longer captions are truncated by the tokenizer."""
        return self._tokenizer(captions, context_length=self.context)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled, per_token = self.transformer(tokens)  # (B, dim), (B, L, text_width)
        return pooled, self.token_proj(per_token)


class VideoDiT(nn.Module):
    """Text-conditioned spatio-temporal diffusion transformer predicting the rectified-flow velocity."""

    def __init__(self, config: VideoModelConfig):
        super().__init__()
        self.config = config
        c = config
        self.text = TextEncoder(c)
        patch_dim = 3 * c.patch_t * c.patch_s * c.patch_s
        self.patch_embed = nn.Linear(patch_dim, c.dim)
        grid_t, grid_s = c.frames // c.patch_t, c.size // c.patch_s
        # Factorised learned positions: time, row and column add up to a position per tubelet.
        self.pos_t = nn.Parameter(torch.randn(grid_t, 1, 1, c.dim) * 0.02)
        self.pos_h = nn.Parameter(torch.randn(1, grid_s, 1, c.dim) * 0.02)
        self.pos_w = nn.Parameter(torch.randn(1, 1, grid_s, c.dim) * 0.02)
        self.text_pos = nn.Parameter(torch.randn(c.text_context, c.dim) * 0.02)
        self.time_mlp = nn.Sequential(nn.Linear(c.dim, c.dim), nn.SiLU(), nn.Linear(c.dim, c.dim))
        self.blocks = nn.ModuleList(Block(c.dim, c.heads, c.mlp_ratio) for _ in range(c.depth))
        self.norm_out = nn.LayerNorm(c.dim, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Linear(c.dim, 2 * c.dim)
        # A small MLP decodes each token into its whole tubelet: large tubelets keep the sequence short
        # enough for a CPU, and the model predicts clean pixels, which stays well posed at this size.
        self.head = nn.Sequential(nn.Linear(c.dim, c.head_hidden), nn.GELU(approximate="tanh"),
                                  nn.Linear(c.head_hidden, patch_dim))
        nn.init.zeros_(self.ada_out.weight)
        nn.init.zeros_(self.ada_out.bias)

    def encode_text(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (B, L) -> pooled (B, dim) and per-token (B, L, dim) conditioning."""
        pooled, per_token = self.text(tokens)
        return pooled, per_token + self.text_pos

    def forward(self, x: torch.Tensor, t: torch.Tensor, pooled: torch.Tensor, text: torch.Tensor):
        """Clean-clip prediction for noisy clips x (B, 3, T, H, W) at flow times t (B,) given encoded text."""
        c = self.config
        gt, gs = c.frames // c.patch_t, c.size // c.patch_s
        patches = rearrange(
            x, "b c (t pt) (h ph) (w pw) -> b t h w (pt ph pw c)", pt=c.patch_t, ph=c.patch_s, pw=c.patch_s
        )
        video = self.patch_embed(patches) + self.pos_t + self.pos_h + self.pos_w  # (B, T', H', W', D)
        video = rearrange(video, "b t h w d -> b (t h w) d")
        cond = self.time_mlp(timestep_embedding(t, c.dim)) + pooled  # (B, D)
        n_text = text.shape[1]
        h = torch.cat([text, video], dim=1)  # (B, L + N, D)
        for block in self.blocks:
            h = block(h, cond)
        shift, scale = self.ada_out(F.silu(cond)).chunk(2, dim=-1)
        out = self.head(modulate(self.norm_out(h[:, n_text:]), shift, scale))  # (B, N, patch_dim)
        return rearrange(
            out,
            "b (t h w) (pt ph pw c) -> b c (t pt) (h ph) (w pw)",
            t=gt, h=gs, w=gs, pt=c.patch_t, ph=c.patch_s, pw=c.patch_s, c=3,
        )

    def save_pretrained(self, directory: str | Path, metadata: dict | None = None) -> None:
        """Write model.safetensors and config.json (safetensors only, never pickle)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE), metadata={k: str(v) for k, v in (metadata or {}).items()})
        (directory / CONFIG_FILE).write_text(json.dumps(asdict(self.config), indent=2) + "\n")

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | torch.device = "cpu") -> VideoDiT:
        """Load a model written by save_pretrained; BackendUnavailable if the folder is incomplete."""
        directory = Path(directory)
        weights, config_path = directory / WEIGHTS_FILE, directory / CONFIG_FILE
        if not weights.is_file() or not config_path.is_file():
            raise BackendUnavailable(
                f"built-in weights folder {directory} needs {WEIGHTS_FILE} and {CONFIG_FILE}; "
                "train with `python -m generation train` or point to the shipped generation/weights/builtin"
            )
        config = VideoModelConfig(**json.loads(config_path.read_text()))
        model = cls(config)
        state = load_file(str(weights))
        model.load_state_dict({k: v.float() for k, v in state.items()})
        return model.to(device).eval()
