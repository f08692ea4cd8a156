"""Training loop of the built-in model: rendered data on the fly, rectified flow, EMA, resumable checkpoints."""

from __future__ import annotations

import copy
import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from .flow import flow_matching_loss
from .model import VideoDiT, VideoModelConfig
from .world import training_batch

CHECKPOINT_FILE = "checkpoint.safetensors"
STATE_FILE = "train_state.json"
LOSS_LOG = "loss.csv"
LOSS_PLOT = "loss.png"


@dataclass
class TrainingConfig:
    """Optimisation settings; the model's sizes live in VideoModelConfig."""

    steps: int = 3000  # total optimiser steps (a resumed run continues up to this count)
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup: int = 100
    cooldown: int = 0  # the last `cooldown` steps take the learning rate linearly to zero (0: constant to the end)
    weight_decay: float = 0.0
    ema_decay: float = 0.998
    caption_dropout: float = 0.1  # captions replaced by the empty prompt, for classifier-free guidance
    checkpoint_every: int = 100
    seed: int = 0
    threads: int | None = None  # torch CPU threads; None keeps torch's default
    model: VideoModelConfig = field(default_factory=VideoModelConfig)


def _optimizer_state_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            tensors[f"opt.{index}.{name}"] = value.detach().reshape(-1).clone() if value.ndim == 0 else value
    return tensors


def _load_optimizer_state(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state_dict = optimizer.state_dict()
    for key, value in tensors.items():
        _, index, name = key.split(".", 2)
        entry = state_dict["state"].setdefault(int(index), {})
        entry[name] = value.reshape(()) if name == "step" else value
    optimizer.load_state_dict(state_dict)


def save_checkpoint(run_dir: Path, model, ema, optimizer, step: int, config: TrainingConfig) -> None:
    """Model, EMA and optimiser state in one safetensors file plus a JSON of the step and config."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors.update({f"ema.{k}": v for k, v in ema.state_dict().items()})
    tensors.update(_optimizer_state_tensors(optimizer))
    tmp = run_dir / (CHECKPOINT_FILE + ".tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    tmp.replace(run_dir / CHECKPOINT_FILE)  # atomic: a killed run never leaves a torn checkpoint
    (run_dir / STATE_FILE).write_text(json.dumps({"step": step, "config": asdict(config)}, indent=2) + "\n")


def plot_loss(run_dir: Path) -> Path:
    """Render loss.csv as a PNG (raw and smoothed curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [line.split(",") for line in (run_dir / LOSS_LOG).read_text().splitlines()[1:] if line]
    steps = [int(r[0]) for r in rows]
    losses = [float(r[1]) for r in rows]
    smoothed, running = [], losses[0] if losses else 0.0
    for value in losses:
        running = 0.98 * running + 0.02 * value
        smoothed.append(running)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, losses, alpha=0.3, label="loss")
    ax.plot(steps, smoothed, label="smoothed")
    ax.set_xlabel("step")
    ax.set_ylabel("flow-matching loss")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    out = run_dir / LOSS_PLOT
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def train(run_dir: str | Path, config: TrainingConfig, *, device: str | None = None, progress: bool = True):
    """Train (or resume) in run_dir; returns the EMA model. Checkpoints every config.checkpoint_every steps."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    start = 0
    state_path = run_dir / STATE_FILE
    if state_path.is_file():
        # The saved model sizes win over the command line: a checkpoint only fits its own shape.
        saved = json.loads(state_path.read_text())
        config.model = VideoModelConfig(**saved["config"]["model"])
        start = saved["step"]
    torch.manual_seed(config.seed + start)
    model = VideoDiT(config.model).to(device)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "pos" in name or "embedding" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate, betas=(0.9, 0.99),
    )
    if start:
        tensors = load_file(str(run_dir / CHECKPOINT_FILE))
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
        _load_optimizer_state(optimizer, {k: v for k, v in tensors.items() if k.startswith("opt.")})
    log_path = run_dir / LOSS_LOG
    if not log_path.is_file():
        log_path.write_text("step,loss,seconds\n")
    rng = random.Random(config.seed * 1_000_003 + start)
    null_tokens = model.text.tokenize([""])
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    began = time.time()
    bar = tqdm(range(start, config.steps), initial=start, total=config.steps, disable=not progress, desc="train")
    for step in bar:
        clips, captions = training_batch(config.batch_size, rng)
        tokens = model.text.tokenize(captions)
        drop = torch.rand(len(captions)) < config.caption_dropout
        tokens[drop] = null_tokens
        lr = config.learning_rate * min(1.0, (step + 1) / config.warmup)
        if config.cooldown:
            lr *= min(1.0, (config.steps - step) / config.cooldown)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with autocast:
            pooled, text = model.encode_text(tokens.to(device))
            loss = flow_matching_loss(model, clips.to(device), pooled, text)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        # EMA warms up so that early checkpoints are not dominated by the random initialisation.
        d = min(config.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters(), strict=True):
                e.lerp_(p, 1 - d)
        with log_path.open("a") as log:
            log.write(f"{step + 1},{loss.item():.5f},{time.time() - began:.1f}\n")
        bar.set_postfix(loss=f"{loss.item():.4f}")
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
            save_checkpoint(run_dir, model, ema, optimizer, step + 1, config)
            plot_loss(run_dir)
    return ema


def export_weights(run_dir: str | Path, out_dir: str | Path, *, metadata: dict | None = None) -> Path:
    """Write the EMA weights of a run as a from_pretrained folder (fp16 safetensors + config.json)."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    saved = json.loads((run_dir / STATE_FILE).read_text())
    model = VideoDiT(VideoModelConfig(**saved["config"]["model"]))
    tensors = load_file(str(run_dir / CHECKPOINT_FILE))
    model.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
    model.half()
    info = {"step": saved["step"], **(metadata or {})}
    model.save_pretrained(out_dir, metadata=info)
    return out_dir
