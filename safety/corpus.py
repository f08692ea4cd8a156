"""The labelled prompt corpus: seed phrases (data/corpus_seeds.toml) expanded with framing templates,
evasive rewrites, and a fixed train/test split by seed phrase."""

from __future__ import annotations

import hashlib
import json
import random
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SEEDS_PATH = DATA_DIR / "corpus_seeds.toml"
CORPUS_PATH = DATA_DIR / "prompts.jsonl"

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7"}
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ"}


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    categories: list[str]
    language: str
    split: str          # train | test
    kind: str           # harmful | benign | evasion
    seed: str

    @property
    def harmful(self) -> bool:
        return bool(self.categories)


def _bucket(text: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % buckets


def seed_split(seed: str) -> str:
    """A whole seed phrase is either train or test (about one in four is held out)."""
    return "test" if _bucket(seed, 4) == 0 else "train"


def _longest_word(text: str) -> str:
    return max(text.split(), key=len)


def evade(text: str, rng: random.Random) -> tuple[str, str]:
    """Rewrite a prompt the way people dodge filters; returns (technique, text)."""
    technique = rng.choice(["leetspeak", "separators", "homoglyphs", "zero-width", "fullwidth", "mixed"])
    word = _longest_word(text)
    if technique == "leetspeak":
        out = "".join(_LEET.get(c, c) if c in _LEET and rng.random() < 0.7 else c for c in text)
    elif technique == "separators":
        sep = rng.choice([" ", ".", "-", "_"])
        out = text.replace(word, sep.join(word), 1)
    elif technique == "homoglyphs":
        out = "".join(_CYRILLIC[c] if c in _CYRILLIC and rng.random() < 0.6 else c for c in text)
    elif technique == "zero-width":
        out = " ".join("\u200b".join(w) if len(w) > 3 and rng.random() < 0.6 else w for w in text.split())
    elif technique == "fullwidth":
        out = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    else:
        leet = "".join(_LEET.get(c, c) if c in _LEET and rng.random() < 0.5 else c for c in text)
        out = leet.replace(_longest_word(leet), ".".join(_longest_word(leet)), 1)
    return technique, out


def rewrite(example: Example, salt: str = "") -> str:
    """The example's text rewritten by one of the evasion techniques, the same each time for the same example and
    salt. Used on benign prompts: heads learn them rewritten too (odd spelling is not harm), and evaluation checks
    that they are still allowed."""
    return evade(example.text, random.Random(salt + example.id))[1]


def build_corpus(seeds_path: Path = SEEDS_PATH) -> list[Example]:
    """Expand the seeds deterministically; the same seeds always give the same corpus and split."""
    data = tomllib.loads(seeds_path.read_text(encoding="utf-8"))
    rng = random.Random(20261124)
    examples: list[Example] = []
    for group in data["seed"]:
        labels, language = list(group["labels"]), group["language"]
        templates = data[f"templates_{language}"]
        per_phrase = 3
        for phrase in group["phrases"]:
            split = seed_split(phrase)
            for n, template in enumerate(rng.sample(templates, per_phrase)):
                text = template.format(phrase)
                uid = hashlib.sha1(f"{language}|{text}".encode(), usedforsecurity=False).hexdigest()[:12]
                examples.append(Example(uid, text, labels, language, split, "harmful" if labels else "benign",
                                        phrase))
                if labels and (n == 0 or rng.random() < 0.25):
                    technique, evaded = evade(text, rng)
                    examples.append(Example(f"{uid}-{technique}", evaded, labels, language, split, "evasion",
                                            phrase))
    return examples


def write_corpus(examples: list[Example], path: Path = CORPUS_PATH) -> None:
    with path.open("w", encoding="utf-8") as f:
        for example in examples:
            f.write(json.dumps(asdict(example), ensure_ascii=False) + "\n")


def load_corpus(path: Path = CORPUS_PATH) -> list[Example]:
    with path.open(encoding="utf-8") as f:
        return [Example(**json.loads(line)) for line in f if line.strip()]
