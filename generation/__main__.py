"""Model work from a terminal: python -m generation {make-data,train,export,sample,evaluate} --help."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from .types import GenerationError


def _make_data(args: argparse.Namespace) -> int:
    from .preview import contact_sheet, write_mp4
    from .world import caption, evaluation_prompts, render, sample_scene

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    clips, labels = [], []
    with (out / "captions.jsonl").open("w") as index:
        for i in range(args.count):
            if args.split == "train":
                scene = sample_scene(rng)
                text = caption(scene, rng)
            else:
                held = evaluation_prompts(args.count, seed=args.seed)[i]
                scene, text = held.scene, held.prompt
            clip = render(scene, rng)  # (3, T, H, W) in [0, 1]
            frames = (clip.permute(1, 2, 3, 0).numpy() * 255).round().astype("uint8")
            name = f"clip_{i:05d}.mp4"
            write_mp4(frames, 8.0, out / name)
            index.write(json.dumps({"file": name, "caption": text, **scene.attributes()}) + "\n")
            if len(clips) < 16:
                clips.append(frames)
                labels.append(text)
    contact_sheet(clips, labels, out / "contact_sheet.png")
    print(f"wrote {args.count} clips, captions.jsonl and contact_sheet.png to {out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from .model import VideoModelConfig
    from .training import TrainingConfig, export_weights, train

    model = VideoModelConfig(
        dim=args.dim, depth=args.depth, heads=args.heads, patch_t=args.patch_t, patch_s=args.patch_s,
        head_hidden=args.head_hidden, text_width=args.text_width, text_layers=args.text_layers,
    )
    config = TrainingConfig(
        steps=args.steps, batch_size=args.batch_size, learning_rate=args.learning_rate, warmup=args.warmup,
        cooldown=args.cooldown, checkpoint_every=args.checkpoint_every, seed=args.seed, threads=args.threads,
        model=model,
    )
    began = time.time()
    train(args.run_dir, config, device=args.device)
    print(f"trained to step {config.steps} in {time.time() - began:.0f} s; loss curve in {args.run_dir}/loss.png")
    if args.export:
        export_weights(args.run_dir, args.export)
        print(f"exported EMA weights to {args.export}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .training import export_weights

    export_weights(args.run_dir, args.out)
    print(f"exported EMA weights of {args.run_dir} to {args.out}")
    return 0


def _backend(args: argparse.Namespace):
    from . import load_backend

    return load_backend("builtin", weights=args.weights, device=args.device)


def _sample(args: argparse.Namespace) -> int:
    from .preview import write_mp4

    backend = _backend(args)
    began = time.time()
    clip = backend.generate(
        args.prompt, negative_prompt=args.negative_prompt, seed=args.seed, steps=args.steps,
        guidance=args.guidance, num_frames=args.num_frames, height=args.height, width=args.width,
    )
    seconds = time.time() - began
    write_mp4(clip.frames, clip.fps, args.out)
    t, h, w, _ = clip.frames.shape
    print(f"wrote {args.out}: {t} frames {w}x{h} at {clip.fps:g} fps, seed {clip.metadata['seed']}, {seconds:.2f} s")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .evaluation import evaluate, reference_batch

    if args.reference:
        generate_batch = reference_batch(prompt_seed=args.prompt_seed, count=args.count)
    else:
        backend = _backend(args)

        def generate_batch(prompts: list[str], seed: int):
            return backend.generate_batch(prompts, seed=seed, steps=args.steps, guidance=args.guidance)

    bar = tqdm(total=args.count, desc="evaluate", disable=args.json)
    began = time.time()

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    report = evaluate(
        generate_batch, count=args.count, batch_size=args.batch_size, seed=args.seed,
        prompt_seed=args.prompt_seed, sheet=args.sheet, progress=progress,
    )
    bar.close()
    summary = report.summary()
    summary["seconds"] = round(time.time() - began, 1)
    if args.json:
        print(json.dumps(summary))
    else:
        print(report.table())
        print(f"{len(report.rows)} held-out prompts in {summary['seconds']} s; contact sheet: {args.sheet}")
    if args.rows:
        Path(args.rows).write_text("".join(json.dumps(r) + "\n" for r in report.rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .builtin import DEFAULT_GUIDANCE, DEFAULT_STEPS, DEFAULT_WEIGHTS

    parser = argparse.ArgumentParser(prog="python -m generation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("make-data", help="render captioned clips of the procedural world to MP4 files")
    data.add_argument("--out", default="var/generation-data")
    data.add_argument("--count", type=int, default=32)
    data.add_argument("--seed", type=int, default=0)
    data.add_argument("--split", choices=("train", "heldout"), default="train",
                      help="training scenes and captions, or the held-out evaluation prompts")
    data.set_defaults(run=_make_data)

    train = commands.add_parser("train", help="train or resume the built-in model (checkpoints in --run-dir)")
    train.add_argument("--run-dir", default="var/generation-run")
    train.add_argument("--steps", type=int, default=7000, help="total steps; a resumed run continues up to it")
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--warmup", type=int, default=100)
    train.add_argument("--cooldown", type=int, default=1000,
                       help="final steps over which the learning rate falls linearly to zero")
    train.add_argument("--checkpoint-every", type=int, default=200)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    train.add_argument("--dim", type=int, default=128)
    train.add_argument("--depth", type=int, default=4)
    train.add_argument("--heads", type=int, default=4)
    train.add_argument("--patch-t", type=int, default=4)
    train.add_argument("--patch-s", type=int, default=8)
    train.add_argument("--head-hidden", type=int, default=512)
    train.add_argument("--text-width", type=int, default=128)
    train.add_argument("--text-layers", type=int, default=3)
    train.add_argument("--export", default=None, help="after training, write the EMA weights to this folder")
    train.set_defaults(run=_train)

    export = commands.add_parser("export", help="write a run's EMA weights as a weights folder (fp16 safetensors)")
    export.add_argument("--run-dir", default="var/generation-run")
    export.add_argument("--out", default=str(DEFAULT_WEIGHTS))
    export.set_defaults(run=_export)

    for name, helptext in (("sample", "write a preview MP4 for one prompt"),
                           ("evaluate", "score held-out prompts with the world detector")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
        command.add_argument("--device", default=None)
        command.add_argument("--seed", type=int, default=0 if name == "evaluate" else None)
        command.add_argument("--steps", type=int, default=DEFAULT_STEPS)
        command.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE)
        if name == "sample":
            command.add_argument("prompt")
            command.add_argument("--out", default="preview.mp4")
            command.add_argument("--negative-prompt", default=None)
            command.add_argument("--num-frames", type=int, default=None)
            command.add_argument("--height", type=int, default=None)
            command.add_argument("--width", type=int, default=None)
            command.set_defaults(run=_sample)
        else:
            command.add_argument("--count", type=int, default=100, help="held-out prompts, half of each split")
            command.add_argument("--batch-size", type=int, default=10)
            command.add_argument("--prompt-seed", type=int, default=1234)
            command.add_argument("--sheet", default="var/generation-eval/contact_sheet.png")
            command.add_argument("--rows", default=None, help="write one JSON line per prompt to this file")
            command.add_argument("--json", action="store_true", help="print the summary as one JSON object")
            command.add_argument("--reference", action="store_true",
                                 help="score the true rendered scenes instead of the model (the detector's ceiling)")
            command.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except GenerationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
