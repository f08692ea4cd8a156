"""Command line: `python -m provenance keys init | seal IN OUT | inspect FILE [--json] | evaluate`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .credentials import CHAIN_FILE, DEFAULT_KEYS_DIR, KEY_FILE, ROOT_FILE, TEST_LABEL, init_dev_keys, load_credentials
from .errors import ProvenanceError
from .inspection import inspect
from .manifest import Claims
from .sealing import seal
from .video import decode_video


def _credentials(keys: Path):
    anchors = keys / ROOT_FILE
    return load_credentials(keys / CHAIN_FILE, keys / KEY_FILE, anchors if anchors.is_file() else None)


def cmd_keys_init(args) -> int:
    creds = init_dev_keys(args.dir, days=args.days)
    print(f"{TEST_LABEL}\nwrote {args.dir}/{CHAIN_FILE}, {KEY_FILE} and {ROOT_FILE}; "
          f"signer '{creds.signer}', valid until {creds.not_after:%Y-%m-%d}")
    return 0


def cmd_seal(args) -> int:
    video = decode_video(args.input)
    settings = json.loads(args.settings) if args.settings else {}
    claims = Claims.for_generation(model=args.model, prompt=args.prompt, settings=settings, title=args.title)
    sealed = seal(video.frames, video.fps, claims, _credentials(Path(args.keys)), args.output, payload=args.payload)
    print(json.dumps(sealed.to_dict(), indent=2))
    return 0


def _summary(report) -> str:
    c, w = report.c2pa, report.watermark
    lines = [f"file sha256 {report.sha256}",
             f"video       {report.video['width']}x{report.video['height']}, {report.video['frames']} frames, "
             f"{report.video['fps']} fps, {report.video['codec']} in {report.video['container']}"]
    if c.present:
        state = "trusted" if c.trusted else ("valid, signer not trusted here" if c.valid else "INVALID")
        lines.append(f"C2PA        {state}; signer {c.signer}; manifest {c.manifest_id}")
        lines += [f"            error: {e}" for e in c.errors]
    else:
        lines.append("C2PA        no manifest")
    if w.detected:
        carried = [f"{s['start']:g}-{s['end']:g}s" for s in w.seconds if s["detected"]]
        lines.append(f"watermark   detected, payload {w.payload} (pilot z {w.z:.1f}, "
                     f"{w.corrected_bits} bits corrected, false-positive bound {w.false_positive_bound:.1e}); "
                     f"seconds carrying it: {', '.join(carried)}")
    else:
        lines.append("watermark   not detected")
    lines.append(f"fingerprint {len(report.fingerprint.hashes)} PDQ hashes")
    return "\n".join(lines)


def cmd_inspect(args) -> int:
    trust = args.trust
    if trust is None and (Path(args.keys) / ROOT_FILE).is_file():
        trust = Path(args.keys) / ROOT_FILE
    report = inspect(args.file, trust_anchors=trust)
    if args.json:
        data = report.to_dict()
        if not args.full_manifest:
            data["c2pa"].pop("manifest", None)
        print(json.dumps(data, indent=2))
    else:
        print(_summary(report))
    return 0


def cmd_evaluate(args) -> int:
    from .evaluation import run_evaluation

    return run_evaluation(clips=args.clips, unmarked=args.unmarked, size=tuple(args.size), seconds=args.seconds,
                          fps=args.fps, seed=args.seed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provenance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    keys = sub.add_parser("keys", help="signing credentials")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    init = keys_sub.add_parser("init", help="make a development CA and signing certificate (test credentials)")
    init.add_argument("--dir", type=Path, default=DEFAULT_KEYS_DIR)
    init.add_argument("--days", type=int, default=365)
    init.set_defaults(func=cmd_keys_init)

    s = sub.add_parser("seal", help="watermark, encode, sign and fingerprint a video")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--model", default="unknown")
    s.add_argument("--prompt", default="", help="hashed into the manifest, never stored")
    s.add_argument("--settings", default="", help="generation settings as JSON (hashed)")
    s.add_argument("--title", default="Generated video")
    s.add_argument("--payload", default=None, help="16 hex digits; random when left out")
    s.add_argument("--keys", default=str(DEFAULT_KEYS_DIR))
    s.set_defaults(func=cmd_seal)

    i = sub.add_parser("inspect", help="report C2PA, watermark and fingerprint of a video")
    i.add_argument("file")
    i.add_argument("--json", action="store_true")
    i.add_argument("--full-manifest", action="store_true", help="include the parsed manifest store in --json")
    i.add_argument("--trust", default=None, help="PEM trust anchors (default: the keys directory's)")
    i.add_argument("--keys", default=str(DEFAULT_KEYS_DIR))
    i.set_defaults(func=cmd_inspect)

    e = sub.add_parser("evaluate", help="seal clips, run the attack suite, count false detections")
    e.add_argument("--clips", type=int, default=100)
    e.add_argument("--unmarked", type=int, default=1000)
    e.add_argument("--size", type=int, nargs=2, default=(256, 256), metavar=("H", "W"))
    e.add_argument("--seconds", type=float, default=3.0)
    e.add_argument("--fps", type=float, default=16.0)
    e.add_argument("--seed", type=int, default=0)
    e.set_defaults(func=cmd_evaluate)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ProvenanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
