"""Check an operator's weights folder, or generate one clip from it, from a terminal.

    python -m generation.diffusers_backend check wan /models/Wan2.1-T2V-1.3B-Diffusers
    python -m generation.diffusers_backend generate wan /models/Wan2.1-T2V-1.3B-Diffusers "a red kite" \
        --device cuda --out kite.npy

Prints one JSON object; frames are saved as a uint8 (T, H, W, 3) .npy file. Exit status 1 on a GenerationError.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from generation.diffusers_backend.backend import DIFFUSERS_BACKENDS, check_folder, load_diffusers_backend
from generation.diffusers_backend.families import FAMILIES
from generation.types import GenerationError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generation.diffusers_backend", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="say whether a folder holds a complete pipeline (loads nothing)")
    generate = commands.add_parser("generate", help="load the pipeline and generate one clip")
    for command in (check, generate):
        command.add_argument("backend", choices=DIFFUSERS_BACKENDS)
        command.add_argument("folder", type=Path)
    generate.add_argument("prompt")
    generate.add_argument("--out", type=Path, required=True, help="where to save the frames (.npy)")
    generate.add_argument("--negative-prompt")
    generate.add_argument("--seed", type=int)
    generate.add_argument("--steps", type=int)
    generate.add_argument("--guidance", type=float)
    generate.add_argument("--frames", type=int, dest="num_frames")
    generate.add_argument("--height", type=int)
    generate.add_argument("--width", type=int)
    generate.add_argument("--device", default="cpu")
    generate.add_argument("--dtype", default="bfloat16")
    generate.add_argument("--cpu-offload", action="store_true")
    generate.add_argument("--vae-tiling", action="store_true")
    generate.add_argument("--vae-slicing", action="store_true")
    generate.add_argument("--attention", dest="attention_backend", help='attention backend, or "auto"')
    generate.add_argument("--compile", dest="compile_transformer", action="store_true")
    generate.add_argument("--fp8", dest="fp8_matmuls", action="store_true")
    generate.add_argument("--step-cache", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "check":
            root = check_folder(args.folder, FAMILIES[args.backend])
            result = {"ok": True, "backend": args.backend, "folder": str(root)}
        else:
            backend = load_diffusers_backend(
                args.backend,
                folder=args.folder,
                dtype=args.dtype,
                device=args.device,
                cpu_offload=args.cpu_offload,
                vae_tiling=args.vae_tiling,
                vae_slicing=args.vae_slicing,
                attention_backend=args.attention_backend,
                compile_transformer=args.compile_transformer,
                fp8_matmuls=args.fp8_matmuls,
                step_cache=args.step_cache,
            )
            request = {k: getattr(args, k) for k in ("seed", "steps", "guidance", "num_frames", "height", "width")}
            clip = backend.generate(args.prompt, negative_prompt=args.negative_prompt, **request)
            out = args.out if args.out.suffix == ".npy" else args.out.with_name(args.out.name + ".npy")
            np.save(out, clip.frames)
            result = {"ok": True, "out": str(out), "shape": list(clip.frames.shape), "fps": clip.fps}
            result["metadata"] = clip.metadata
    except GenerationError as exc:
        print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
