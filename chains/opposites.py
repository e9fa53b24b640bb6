"""Opposite words and changes of status, compared by word stem.

"rose" in one text where the other says "fell"; "postponed" where the other says "on
schedule". The tables are small and hand-written: each entry is a difference a reporter
recognises at once. Phrases are looked up by their first stem and cached per text, so a
claim-passage pair costs a few dictionary look-ups.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vectorstore.sentences import WORD as _WORD

WORDS = re.compile(_WORD.pattern, re.IGNORECASE)  # with offsets into the original text

ANTONYMS = [
    ("rose", "fell"), ("increased", "decreased"), ("up", "down"), ("won", "lost"),
    ("approved", "rejected"), ("opened", "closed"), ("higher", "lower"), ("more", "fewer"),
    ("gained", "lost"), ("above", "below"), ("before", "after"), ("increase", "decrease"),
    ("rise", "fall"), ("raised", "cut"), ("hired", "fired"), ("reopened", "closed"),
    ("raise", "lower"), ("increased", "reduced"), ("increase", "reduce"),
]  # fmt: skip
# Changes of status: a phrase of one side in the claim, one of the other in the passage.
# Compared by word stem, so "postpone", "postponed" and "postponing" are one phrase.
STATUS = [
    (("postponed", "delayed", "pushed back", "put off", "behind schedule"),
     ("on schedule", "on time", "on track", "as planned", "as scheduled", "went ahead",
      "ahead of schedule")),
    (("closed", "shut", "shut down"),
     ("kept open", "remains open", "remained open", "stays open", "stayed open", "still open")),
    (("cancelled", "canceled", "called off", "scrapped", "abandoned"),
     ("went ahead", "took place", "was held", "go ahead")),
    (("resigned", "stepped down", "quit", "was ousted", "left office"),
     ("remains in office", "remained in office", "stays on", "stayed on", "will stay",
      "remains in post", "remains as")),
    (("acquitted", "found not guilty"), ("convicted", "found guilty")),
    (("dismissed", "thrown out", "overturned", "reversed", "struck down", "vacated"),
     ("upheld", "affirmed")),
    (("elected", "re-elected"), ("defeated",)),
    (("voted down", "vetoed"), ("approved", "adopted")),
]  # fmt: skip
# The statuses a thing has one at a time (a schedule, open or closed, held or called off,
# in office or not): a passage that gives one of them gives the thing's status even where
# it also names the other ("will stay open ... a proposal to close it"). Not so for
# "elected" / "defeated" or "convicted" / "acquitted", which are often said of two people.
ONE_AT_A_TIME = STATUS[:4]


def stem(word: str) -> str:
    """A crude English stem: enough for "approve" / "approved" / "approves" / "approving"."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> list[tuple[str, int, int]]:
    return [(stem(m.group(0).lower()), m.start(), m.end()) for m in WORDS.finditer(text)]


Phrase = tuple[str, ...]


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, list[Phrase]], dict[Phrase, list[tuple[str, Phrase]]]]:
    """Phrases by their first stem, and each phrase's opposites (kind, phrase): the tables
    read as stems, both ways round."""
    by_first: dict[str, list[Phrase]] = {}
    opposite: dict[Phrase, list[tuple[str, Phrase]]] = {}
    for kind, table in (("negation", [((a,), (b,)) for a, b in ANTONYMS]), ("status", STATUS)):
        for left, right in table:
            for mine, theirs in ((left, right), (right, left)):
                for a in mine:
                    sa = tuple(stem(w) for w in _WORD.findall(a))
                    by_first.setdefault(sa[0], []).append(sa)
                    for b in theirs:
                        opposite.setdefault(sa, []).append(
                            (kind, tuple(stem(w) for w in _WORD.findall(b)))
                        )
    return by_first, opposite


@lru_cache(maxsize=4096)
def _phrases(text: str) -> dict[Phrase, tuple[int, int]]:
    """The table's phrases that `text` says, with where it first says each."""
    by_first, _ = _table()
    stems = _stems(text)
    found: dict[Phrase, tuple[int, int]] = {}
    for i, (first, start, _) in enumerate(stems):
        for phrase in by_first.get(first, ()):
            n = len(phrase)
            if tuple(s for s, _, _ in stems[i : i + n]) == phrase:
                found.setdefault(phrase, (start, stems[i + n - 1][2]))
    return found


def one_at_a_time(phrase: str) -> bool:
    """Is `phrase` (as said in a text) a status of ``ONE_AT_A_TIME``?"""
    said = tuple(stem(w) for w in _WORD.findall(phrase.lower()))
    return any(
        said == tuple(stem(w) for w in _WORD.findall(p))
        for group in ONE_AT_A_TIME
        for side in group
        for p in side
    )


def opposites(text: str, other: str) -> list[tuple[int, int, str, str]]:
    """Spans of `text` (start, end, kind, the other's words) whose opposite the other says
    and which the other does not say itself: kind "negation" for opposite words
    ("rose" / "fell"), "status" for a change of status ("postponed" / "on schedule")."""
    _, opposite = _table()
    mine, theirs = _phrases(text), _phrases(other)
    out: dict[tuple[int, int, str], str] = {}
    for phrase, (start, end) in mine.items():
        if phrase in theirs:
            continue
        for kind, their_phrase in opposite[phrase]:
            said = theirs.get(their_phrase)
            if said:
                out.setdefault((start, end, kind), other[said[0] : said[1]])
    return sorted((start, end, kind, said) for (start, end, kind), said in out.items())
