"""Fixtures of the generation tests: a tiny model trained for a few steps on CPU, exported as a weights folder."""

import pytest
import torch

from generation.model import VideoModelConfig
from generation.training import TrainingConfig, export_weights, train

torch.set_num_threads(1)

TINY = dict(dim=32, depth=1, heads=2, patch_t=4, patch_s=16, head_hidden=64, text_width=32, text_layers=1, text_heads=2)


def tiny_config(steps: int) -> TrainingConfig:
    return TrainingConfig(steps=steps, batch_size=2, warmup=2, checkpoint_every=2, threads=1,
                          model=VideoModelConfig(**TINY))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run folder trained for 4 steps, resumed to 6, and its exported weights folder."""
    run = tmp_path_factory.mktemp("run")
    train(run, tiny_config(4), device="cpu", progress=False)
    train(run, tiny_config(6), device="cpu", progress=False)
    weights = export_weights(run, run / "weights")
    return run, weights


@pytest.fixture(scope="session")
def tiny_backend(tiny_run):
    from generation.builtin import BuiltinBackend

    return BuiltinBackend(tiny_run[1], device="cpu")
