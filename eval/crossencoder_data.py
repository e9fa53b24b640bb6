"""Training pairs for the cross-encoder (`eval.train_crossencoder`), made from data at hand.

Synthetic pairs come from the BBC 2005 archive, each an archive sentence against a window
of three sentences around it (the unit `chains.crossencoder` reads a passage in) or
another window:

* SUPPORTS: the sentence itself, the sentence with a clause or its attribution dropped,
  two sentences of the chunk joined;
* CONTRADICTS: the sentence with a number, year, month or name changed, a "not" put in or
  taken out, or a word swapped for its opposite;
* NEUTRAL: a fact added that the chunk does not give, another sentence of the same
  article against this chunk (related, not stated), a sentence against a chunk of another
  article on the same topic.

Labelled development pairs: Climate-FEVER evidence pairs of the claims that the reported
`--view pairs --limit 300` sample does not touch. SummEdits is not used, so all of it
stays for measuring. Run:
``python -m eval.crossencoder_data --bbc ../shared/eval/archive/bbc-2005
--climate-fever ../shared/eval/verdicts/climate-fever.jsonl --out /tmp/ce-pairs.jsonl``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from eval.climate_fever_split import reported_claim_ids
from eval.datasets import read_climate_fever_pairs
from vectorstore.chunking import chunk_article
from vectorstore.models import Article
from vectorstore.sentences import sentence_spans

SUPPORTS, CONTRADICTS, NEUTRAL = "SUPPORTS", "CONTRADICTS", "NEUTRAL"
CF_LABELS = {"SUPPORTED": SUPPORTS, "CONTRADICTED": CONTRADICTS, "NOT_ENOUGH_INFO": NEUTRAL}
CHUNK_CHARS = 800  # the product's default passage size

# Wider than chains.opposites on purpose: the checks know those already.
OPPOSITES = [
    ("rose", "fell"), ("increased", "decreased"), ("increase", "decrease"), ("rise", "fall"),
    ("up", "down"), ("won", "lost"), ("win", "lose"), ("gained", "lost"), ("higher", "lower"),
    ("more", "fewer"), ("more", "less"), ("above", "below"), ("before", "after"),
    ("approved", "rejected"), ("accepted", "rejected"), ("agreed", "refused"),
    ("supported", "opposed"), ("support", "oppose"), ("allowed", "banned"), ("strong", "weak"),
    ("stronger", "weaker"), ("high", "low"), ("early", "late"), ("earlier", "later"),
    ("first", "last"), ("largest", "smallest"), ("biggest", "smallest"), ("best", "worst"),
    ("better", "worse"), ("success", "failure"), ("positive", "negative"),
    ("confirmed", "denied"), ("boosted", "cut"), ("expanded", "shrank"), ("profit", "loss"),
    ("profits", "losses"), ("bought", "sold"), ("buy", "sell"), ("imports", "exports"),
    ("rising", "falling"), ("major", "minor"), ("majority", "minority"), ("public", "private"),
    ("domestic", "foreign"), ("north", "south"), ("east", "west"), ("men", "women"),
    ("opened", "closed"), ("hired", "fired"), ("raised", "lowered"), ("joined", "left"),
    ("started", "ended"), ("begin", "end"), ("full", "empty"), ("young", "old"),
    ("cheaper", "dearer"), ("guilty", "innocent"), ("legal", "illegal"), ("likely", "unlikely"),
    ("able", "unable"), ("popular", "unpopular"), ("increasing", "decreasing"),
]  # fmt: skip
_OPPOSITE = {a: b for a, b in OPPOSITES} | {b: a for a, b in OPPOSITES}
_AUX = re.compile(
    r"\b(is|was|are|were|has|have|had|will|would|can|could|should|does|did|must)\b(?! not)"
)
_NOT = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|does|did) not\b")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-2]\d)\b")
MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+(?: [A-Z][a-z]+)+")
# A fact to add: a place or name, a year or a share ("in Glasgow", "since 2001", "by 12%").
_PHRASE = re.compile(
    r"\b(?:in|at|since|during|by|from) (?:[A-Z][a-z]+(?: [A-Z][a-z]+)*|(?:19|20)\d\d|\d+(?:\.\d+)?%)"
)
_ATTRIBUTION = re.compile(
    r",? (?:he|she|they|it|[A-Z][a-z]+(?: [A-Z][a-z]+)*) (?:said|says|added)\.$"
)


def read_bbc(folder: Path) -> Iterator[tuple[str, Article]]:
    """(topic, article) for every readable file; the first line is the headline."""
    for path in sorted(folder.glob("*/*.txt")):
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        title, _, body = raw.strip().partition("\n")
        if body.strip():
            yield path.parent.name, Article(text=body.strip(), title=title.strip())


def _changed_number(m: re.Match[str], rng: random.Random) -> str:
    digits = m.group(0).replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return m.group(0)
    new = value * rng.choice([0.5, 0.7, 1.3, 1.5, 2, 3]) + rng.choice([0, 1, 2])
    new = round(new) if "." not in digits else round(new, 1)
    return f"{new:,}" if "," in m.group(0) else str(new)


def edits(sentence: str, names: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """(kind, edited sentence) for each contradicting edit this sentence allows."""
    out = []
    if m := _YEAR.search(sentence):
        year = str(int(m.group(0)) + rng.choice([-3, -2, -1, 1, 2, 3]))
        out.append(("year", sentence[: m.start()] + year + sentence[m.end() :]))
    elif m := _NUMBER.search(sentence):
        new = _changed_number(m, rng)
        if new != m.group(0):
            out.append(("number", sentence[: m.start()] + new + sentence[m.end() :]))
    if m := _MONTH.search(sentence):
        month = rng.choice([x for x in MONTHS if x != m.group(0)])
        out.append(("month", sentence[: m.start()] + month + sentence[m.end() :]))
    if (m := _NAME.search(sentence)) and names:
        other = rng.choice(names)
        if other != m.group(0):
            out.append(("name", sentence[: m.start()] + other + sentence[m.end() :]))
    if m := _NOT.search(sentence):
        out.append(("negation", sentence[: m.start()] + m.group(1) + sentence[m.end() :]))
    elif m := _AUX.search(sentence):
        out.append(("negation", sentence[: m.end()] + " not" + sentence[m.end() :]))
    for m in re.finditer(r"\b[a-z]+\b", sentence):
        if m.group(0) in _OPPOSITE:
            swapped = sentence[: m.start()] + _OPPOSITE[m.group(0)] + sentence[m.end() :]
            out.append(("opposite", swapped))
            break
    return out


def supported_forms(sentence: str, neighbour: str | None) -> list[tuple[str, str]]:
    """(kind, text) of statements the chunk holding `sentence` supports."""
    out = [("same", sentence)]
    if (m := _ATTRIBUTION.search(sentence)) and m.start() > 40:
        out.append(("attribution dropped", sentence[: m.start()].strip(" ,\"'") + "."))
    parts = sentence.split(", ")
    if len(parts) >= 3:
        dropped = ", ".join([parts[0], *parts[2:]])
        out.append(("clause dropped", dropped))
    if neighbour:
        out.append(("joined", f"{sentence} {neighbour}"))
    return out


def _added_fact(sentence: str, phrases: list[str], rng: random.Random) -> str | None:
    if not phrases or not sentence.endswith("."):
        return None
    phrase = rng.choice(phrases)
    return None if phrase in sentence else f"{sentence[:-1]} {phrase}."


def window(sentences: list[str], i: int) -> str:
    """Sentence i with its neighbours: the unit the cross-encoder reads (`chains.crossencoder`
    slides it over a passage)."""
    return " ".join(sentences[max(0, i - 1) : i + 2])


def synthetic_pairs(folder: Path, seed: int = 13, per_article: int = 4) -> list[dict[str, str]]:
    """Labelled claim-passage pairs from the BBC archive; deterministic for a seed."""
    rng = random.Random(seed)
    articles = list(read_bbc(folder))
    names = sorted({m.group(0) for _, a in articles for m in _NAME.finditer(a.text)})
    phrases = sorted({m.group(0) for _, a in articles[::7] for m in _PHRASE.finditer(a.text)})
    windows_by_topic: dict[str, list[str]] = {}
    for topic, article in articles[::3]:
        spans = sentence_spans(article.text)
        sentences = [article.text[s:e] for s, e in spans]
        windows_by_topic.setdefault(topic, []).extend(
            window(sentences, i) for i in range(0, len(sentences), 3)
        )
    pairs: list[dict[str, str]] = []

    def add(claim: str, passage: str, label: str, kind: str) -> None:
        pairs.append({"claim": claim, "passage": passage, "label": label, "kind": kind})

    for topic, article in articles:
        chunks = chunk_article(article, CHUNK_CHARS)
        for chunk in rng.sample(chunks, min(per_article, len(chunks))):
            sentences = [chunk.text[s:e] for s, e in sentence_spans(chunk.text)]
            usable = [i for i, s in enumerate(sentences) if 40 <= len(s) <= 300]
            if not usable:
                continue
            i = rng.choice(usable)
            sentence, passage = sentences[i], window(sentences, i)
            neighbour = sentences[i + 1] if i + 1 < len(sentences) else None
            kind, text = rng.choice(supported_forms(sentence, neighbour))
            add(text, passage, SUPPORTS, kind)
            if options := edits(sentence, names, rng):
                kind, text = rng.choice(options)
                add(text, passage, CONTRADICTS, kind)
            # One neutral pair a chunk, of one of three kinds.
            elsewhere = [
                article.text[s:e]
                for s, e in sentence_spans(article.text)
                if not (chunk.start <= s < chunk.end) and 40 <= e - s <= 300
            ]
            other = rng.choice(windows_by_topic[topic])
            neutral = [
                ("fact added", _added_fact(sentence, phrases, rng), passage),
                ("same article", rng.choice(elsewhere) if elsewhere else None, passage),
                ("same topic", sentence, other),
            ]
            kind, claim, context = rng.choice(neutral)
            if claim:
                add(claim, context, NEUTRAL, kind)
    # Another chunk of the same topic can, rarely, hold the same sentence.
    return [p for p in pairs if p["kind"] != "same topic" or p["claim"] not in p["passage"]]


def climate_fever_pairs(path: Path) -> list[dict[str, str]]:
    """Climate-FEVER evidence pairs of the claims outside the reported sample."""
    items = read_climate_fever_pairs(path)
    held_out = reported_claim_ids(items)
    return [
        {
            "claim": i.claim,
            "passage": i.evidence[0],
            "label": CF_LABELS[i.label],
            "kind": "climate-fever",
        }
        for i in items
        if i.meta["claim_id"] not in held_out and i.label in CF_LABELS
    ]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bbc", type=Path, required=True)
    parser.add_argument("--climate-fever", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--per-article", type=int, default=4)
    args = parser.parse_args(argv)
    pairs = synthetic_pairs(args.bbc, args.seed, args.per_article)
    if args.climate_fever:
        pairs += climate_fever_pairs(args.climate_fever)
    random.Random(args.seed).shuffle(pairs)
    args.out.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    counts = Counter((p["label"], p["kind"]) for p in pairs)
    out(
        json.dumps(
            {
                "pairs": len(pairs),
                "by_label_and_kind": {f"{k[0]}/{k[1]}": n for k, n in sorted(counts.items())},
                "sha256": file_sha256(args.out),
                "sources": {
                    "climate_fever": file_sha256(args.climate_fever) if args.climate_fever else None
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
