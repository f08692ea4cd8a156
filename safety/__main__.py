"""python -m safety moderate | evaluate | train | build-corpus"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _moderate(args: argparse.Namespace) -> int:
    from . import SafetyError, load_policy, moderate_prompt

    policy = load_policy(args.policy) if args.policy else None
    stdin = sys.stdin.buffer
    for number, raw in enumerate(stdin, start=1):
        if not raw.strip():
            continue
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"line is not valid UTF-8 (byte {exc.start})") from exc
            record = json.loads(line)
            if not isinstance(record, dict) or "prompt" not in record:
                raise ValueError('each line must be a JSON object with a "prompt" field')
            if not isinstance(record["prompt"], str):
                raise ValueError('"prompt" must be a string')
            verdict = moderate_prompt(record["prompt"], policy)
            out = {"decision": verdict.decision, "categories": verdict.categories, "reasons": verdict.reasons}
            if "id" in record:
                out["id"] = record["id"]
        except (ValueError, SafetyError) as exc:  # json.JSONDecodeError is a ValueError
            out = {"line": number, "error": type(exc).__name__, "message": str(exc)}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_report
    from .policy import load_policy

    report = evaluate(Path(args.data) if args.data else None, load_policy(args.policy) if args.policy else None)
    print(format_report(report, show_misses=args.misses))
    return 0


def _train(args: argparse.Namespace) -> int:
    from .evaluate import format_report
    from .policy import default_policy, load_policy
    from .train import FOLDS, cross_validate_policies, train

    if args.review and not args.cross_validate:
        raise SystemExit("--review goes with --cross-validate")
    if args.cross_validate:
        policy = load_policy(args.policy) if args.policy else default_policy()
        reports = cross_validate_policies([policy, *(policy.with_review(r) for r in args.review)],
                                          finetune=args.tune_encoder)
        encoder = "MiniLM tuned on the same folds" if args.tune_encoder else "MiniLM as installed"
        print(f"cross-validation on the train split ({FOLDS} folds of whole seeds, each judged by heads fitted "
              f"on the others, on the features of {encoder}):")
        print(format_report(reports[0]))
        if args.review:
            columns = ("harmful caught", "benign allowed", "evasions caught", "severe blocked outright",
                       "benign rewritten allowed")
            print(f"\nreview level of every category that is not severe ({', '.join(sorted(policy.severe))} keep "
                  "their own):")
            print(f"{'review':>6}  " + "  ".join(f"{c:>{len(c)}}" for c in columns))
            for review, report in zip(args.review, reports[1:], strict=True):
                rates = report["rates"]
                print(f"{review:>6.2f}  " + "  ".join(f"{rates[c][0] if c in rates else float('nan'):>{len(c)}.1%}"
                                                       for c in columns))
        return 0
    train(finetune=args.tune_encoder)
    saved = "encoder and heads" if args.tune_encoder else "heads"
    print(f"{saved} saved under safety/models/ (fitted on the whole train split)")
    return 0


def _build_corpus(args: argparse.Namespace) -> int:
    from collections import Counter

    from .corpus import CORPUS_PATH, build_corpus, write_corpus

    examples = build_corpus()
    write_corpus(examples)
    print(f"{len(examples)} prompts written to {CORPUS_PATH}")
    for (split, kind), n in sorted(Counter((e.split, e.kind) for e in examples).items()):
        print(f"  {split:<5} {kind:<8} {n}")
    return 0


def _review_levels(text: str) -> tuple[float, ...]:
    try:
        levels = tuple(float(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"review levels are numbers separated by commas, not {text!r}") from exc
    if not all(0.0 <= level <= 1.0 for level in levels):
        raise argparse.ArgumentTypeError(f"review levels lie in 0..1, not {text!r}")
    return levels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safety", description="Clearframe's safety gate")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("moderate", help='JSON lines with "prompt" on stdin; one verdict line out per input')
    p.add_argument("--policy", help="a policy TOML file (default: the packaged policy)")
    p.set_defaults(run=_moderate)
    p = sub.add_parser("evaluate", help="precision, recall and false positives on a labelled JSONL file")
    p.add_argument("--data", help="JSONL with text and categories (default: the packaged test split)")
    p.add_argument("--policy")
    p.add_argument("--misses", action="store_true", help="list the prompts the gate got wrong")
    p.set_defaults(run=_evaluate)
    p = sub.add_parser("train", help="fit the classifier heads on the corpus's train split")
    p.add_argument("--cross-validate", action="store_true",
                   help="only report the gate's figures over folds of the train split (saves nothing)")
    p.add_argument("--tune-encoder", action="store_true",
                   help="tune MiniLM's layers on the same examples first (about 8 minutes on two cores for the "
                        "whole train split; with --cross-validate, once per fold)")
    p.add_argument("--policy", help="policy TOML to judge the folds with (default: the packaged one)")
    p.add_argument("--review", type=_review_levels, default=(),
                   help="with --cross-validate, also judge the folds with every category that is not severe reviewed "
                        "at each of these levels (comma-separated, e.g. 0.30,0.35,0.40); the heads are fitted once")
    p.set_defaults(run=_train)
    p = sub.add_parser("build-corpus", help="expand data/corpus_seeds.toml into data/prompts.jsonl")
    p.set_defaults(run=_build_corpus)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
