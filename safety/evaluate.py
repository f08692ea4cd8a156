"""Measured recall and false positives of the prompt gate on a labelled set (default: the test split)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .corpus import CORPUS_PATH, Example, load_corpus, rewrite
from .policy import Policy, default_policy
from .prompt import moderate_prompt
from .taxonomy import CATEGORIES


def evaluate_examples(examples: list[Example], policy: Policy | None = None, *, rewrites: bool = True) -> dict:
    """The gate's figures on labelled examples. With `rewrites`, every benign example is also moderated rewritten
    the way evasions are (corpus.rewrite): "benign rewritten allowed" says whether odd spelling alone is taken for
    harm."""
    policy = policy or default_policy()
    per_category = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CATEGORIES}
    counts = defaultdict(lambda: [0, 0])  # name -> [hits, total]
    misses: list[tuple[str, str, list[str]]] = []
    for example in examples:
        verdict = moderate_prompt(example.text, policy)
        flagged = {c for c in CATEGORIES if verdict.categories[c] >= policy.thresholds[c].review}
        truth = set(example.categories)
        for c in CATEGORIES:
            per_category[c]["tp"] += c in flagged and c in truth
            per_category[c]["fp"] += c in flagged and c not in truth
            per_category[c]["fn"] += c not in flagged and c in truth
        if example.harmful:
            group = "evasions caught" if example.kind == "evasion" else "harmful caught"
            counts[group][0] += verdict.decision != "allow"
            counts[group][1] += 1
            counts[f"harmful caught [{example.language}]"][0] += verdict.decision != "allow"
            counts[f"harmful caught [{example.language}]"][1] += 1
            severe = truth & policy.severe or any(combo <= truth for combo in policy.severe_combinations)
            if severe:
                counts["severe blocked outright"][0] += verdict.decision == "block"
                counts["severe blocked outright"][1] += 1
            if verdict.decision == "allow" or (severe and verdict.decision != "block"):
                misses.append((verdict.decision, example.text, example.categories))
        else:
            counts["benign allowed"][0] += verdict.decision == "allow"
            counts["benign allowed"][1] += 1
            counts[f"benign allowed [{example.language}]"][0] += verdict.decision == "allow"
            counts[f"benign allowed [{example.language}]"][1] += 1
            if verdict.decision != "allow":
                misses.append((verdict.decision, example.text, []))
            if rewrites:
                rewritten = moderate_prompt(rewrite(example, "check|"), policy)
                counts["benign rewritten allowed"][0] += rewritten.decision == "allow"
                counts["benign rewritten allowed"][1] += 1
    return _report(per_category, dict(counts), misses)


def _report(per_category: dict[str, dict[str, int]], counts: dict[str, list[int]], misses: list) -> dict:
    rates = {name: (hit / total if total else float("nan"), hit, total) for name, (hit, total) in counts.items()}
    categories = {}
    for c, m in per_category.items():
        precision = m["tp"] / (m["tp"] + m["fp"]) if m["tp"] + m["fp"] else float("nan")
        recall = m["tp"] / (m["tp"] + m["fn"]) if m["tp"] + m["fn"] else float("nan")
        categories[c] = {"precision": precision, "recall": recall, "support": m["tp"] + m["fn"]}
    benign = rates.get("benign allowed", (float("nan"), 0, 0))
    return {"categories": categories, "rates": rates, "benign_false_positive_rate": 1 - benign[0],
            "misses": misses, "tallies": {"categories": per_category, "counts": counts}}


def merge_reports(reports: list[dict]) -> dict:
    """One report from several disjoint ones (the folds of a cross-validation): counts are summed."""
    per_category = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CATEGORIES}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for report in reports:
        for c, m in report["tallies"]["categories"].items():
            for key in m:
                per_category[c][key] += m[key]
        for name, (hit, total) in report["tallies"]["counts"].items():
            counts[name][0] += hit
            counts[name][1] += total
        misses += report["misses"]
    return _report(per_category, dict(counts), misses)


def evaluate(data: Path | None = None, policy: Policy | None = None) -> dict:
    examples = load_corpus(data or CORPUS_PATH)
    if data is None:
        examples = [e for e in examples if e.split == "test"]
    return evaluate_examples(examples, policy)


def format_report(report: dict, *, show_misses: bool = False) -> str:
    lines = [f"{'category':<20} {'precision':>9} {'recall':>7} {'support':>8}"]
    for c, m in report["categories"].items():
        lines.append(f"{c:<20} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['support']:>8d}")
    lines.append("")
    for name, (rate, hit, total) in sorted(report["rates"].items()):
        lines.append(f"{name:<32} {rate:>7.1%}  ({hit}/{total})")
    lines.append(f"{'benign false-positive rate':<32} {report['benign_false_positive_rate']:>7.1%}")
    if show_misses and report["misses"]:
        lines.append("")
        lines.append("misses:")
        lines += [f"  {decision:<6} {categories or 'benign'} {text!r}" for decision, text, categories in
                  report["misses"]]
    return "\n".join(lines)
