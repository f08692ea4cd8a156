"""Tiny random-weight Wan, LTX-Video and CogVideoX pipelines, built from config and saved in diffusers layout.

Nothing is downloaded: the text encoders are built from config, and the tokenizer is a word-level vocabulary made
with the `tokenizers` library and wrapped in a transformers fast tokenizer. The VAEs keep the real models' spatial and
temporal compression (and so their frame-count and size rules); only widths and depths are shrunk.
"""

from __future__ import annotations

from pathlib import Path

import torch

WORDS = (
    "a red ball rolls across green grass under blue sky the cat jumps over small box in bright room "
    "waves crash on sandy beach at sunset slow camera pan city street night rain lights blurry ugly"
).split()
TEXT_DIM = 32


def word_tokenizer(max_length: int):
    """A lowercase word-level tokenizer with T5's special tokens, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=max_length
    )


def t5_encoder(vocab_size: int, *, umt5: bool = False):
    """A two-layer T5 (or UMT5, as Wan uses) encoder built from config, in eval mode (config-built models train)."""
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    options = dict(vocab_size=vocab_size, d_model=TEXT_DIM, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
    options.update(relative_attention_num_buckets=8, dropout_rate=0.0, pad_token_id=0, eos_token_id=1)
    if umt5:
        return UMT5EncoderModel(UMT5Config(**options)).eval()
    return T5EncoderModel(T5Config(**options)).eval()


def tiny_wan_transformer():
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=16,  # widths multiple of 16, as float8 matmuls need
        in_channels=16,
        out_channels=16,
        text_dim=TEXT_DIM,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    ).eval()


def tiny_wan(*, two_stage: bool = False, expand_timesteps: bool = False):
    """WanPipeline: VAE 8x spatial / 4x temporal, transformer patch 1x2x2 (frames 4k+1, sizes multiple of 16).

    two_stage: Wan 2.2 A14B layout, a second transformer for the low-noise steps after boundary_ratio.
    expand_timesteps: Wan 2.2 TI2V layout, one timestep per token.
    """
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline

    tokenizer = word_tokenizer(512)
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=t5_encoder(len(tokenizer), umt5=True),
        vae=AutoencoderKLWan(
            base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
        ).eval(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        transformer=tiny_wan_transformer(),
        transformer_2=tiny_wan_transformer() if two_stage else None,
        boundary_ratio=0.875 if two_stage else None,
        expand_timesteps=expand_timesteps,
    )


def tiny_ltx():
    """LTXPipeline: VAE patch 4 with three 2x scalings, 32x spatial / 8x temporal (frames 8k+1, sizes of 32)."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    tokenizer = word_tokenizer(128)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
    ).eval()
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=TEXT_DIM,
    ).eval()
    return LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=t5_encoder(len(tokenizer)),
        tokenizer=tokenizer,
        transformer=transformer,
    )


def tiny_cogvideox():
    """CogVideoXPipeline: VAE 8x spatial / 4x temporal decoded in pairs, patch 2 (frames 8k+1, sizes of 16)."""
    from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXPipeline, CogVideoXTransformer3DModel

    max_text = 16
    tokenizer = word_tokenizer(max_text)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=TEXT_DIM,
        num_layers=1,
        sample_width=4,
        sample_height=4,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=max_text,
    ).eval()
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    ).eval()
    return CogVideoXPipeline(
        tokenizer=tokenizer,
        text_encoder=t5_encoder(len(tokenizer)),
        vae=vae,
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )


BUILDERS = {
    "wan": tiny_wan,
    "ltx-video": tiny_ltx,
    "cogvideox": tiny_cogvideox,
    "wan2.2-a14b": lambda: tiny_wan(two_stage=True),
    "wan2.2-ti2v": lambda: tiny_wan(expand_timesteps=True),
}


def save_tiny_pipeline(name: str, folder: Path, seed: int = 0) -> Path:
    """Build the tiny pipeline `name` (a family, or a Wan 2.2 layout) with seeded random weights and save it
    (safetensors) to `folder`."""
    torch.manual_seed(seed)
    pipe = BUILDERS[name]()
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder
