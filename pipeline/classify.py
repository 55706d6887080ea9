"""Document type from evidence: weighted keywords, matched fuzzily on words and word n-grams.

    classify(ocr) -> (DocType, {"ktp": s, "ijazah": s, "surat_sehat": s})

Each score is the weight of the keywords found divided by the weight of all keywords of the type (0..1).
The best type wins only when it has enough evidence and a clear margin over the runner-up, where the
runner-up may also be the evidence of the dossier's other papers (`classify_other`: declarations, CVs);
otherwise the page is UNKNOWN and goes to review. Keywords and weights live in `config/vocab.yaml` (`classify`).
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from models.contract import DocType
from pipeline.context import OcrPage
from pipeline.normalise import load_vocab, squash

MIN_SCORE = 0.2
MIN_MARGIN = 0.1


def _ngrams(tokens: list[str], max_n: int) -> set[str]:
    out = set()
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n + 1):
            out.add("".join(tokens[i:i + n]))
    return out


class Grams:
    """A page's word n-grams, also grouped by length (a fuzzy keyword is compared with grams of about its
    length only)."""

    def __init__(self, grams: set[str]) -> None:
        self.all = grams
        self.by_len: dict[int, list[str]] = {}
        for g in grams:
            self.by_len.setdefault(len(g), []).append(g)

    def __contains__(self, key: str) -> bool:
        return key in self.all

    def near(self, n: int, spread: int) -> list[str]:
        return [g for k in range(n - spread, n + spread + 1) for g in self.by_len.get(k, ())]


def _present(keyword: str, grams: Grams) -> float:
    """1.0 for an exact hit; a fuzzy ratio >= 0.85 for keywords long enough to bear it (against grams within
    2 characters of its length); else 0."""
    key = squash(keyword)
    if key in grams:
        return 1.0
    if len(key) < 5:
        return 0.0
    hit = process.extractOne(key, grams.near(len(key), 2), scorer=fuzz.ratio, score_cutoff=85)
    return hit[1] / 100.0 if hit is not None else 0.0


def _grams(ocr: OcrPage) -> Grams:
    grams: set[str] = set()
    for line in ocr.lines():
        tokens = [t for t in (squash(w.text) for w in line) if t]
        grams |= _ngrams(tokens, 3)
    return Grams(grams)


def _score(keywords: dict[str, float], grams: Grams) -> float:
    total = sum(keywords.values())
    found = sum(weight * _present(k, grams) for k, weight in keywords.items())
    return round(found / total, 4) if total else 0.0


def classify(ocr: OcrPage) -> tuple[DocType, dict[str, float]]:
    grams = _grams(ocr)
    vocab = load_vocab()
    scores = {doc_type: _score(keywords, grams) for doc_type, keywords in vocab["classify"].items()}
    other = _score(vocab.get("classify_other") or {}, grams)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, best_score = ranked[0]
    runner_up = max(ranked[1][1] if len(ranked) > 1 else 0.0, other)
    if best_score < MIN_SCORE or best_score - runner_up < MIN_MARGIN:
        return DocType.UNKNOWN, scores
    return DocType(best), scores
