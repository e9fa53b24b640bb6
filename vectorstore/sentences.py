"""The one sentence splitter and word list of the project.

Chunking, claim extraction, the checks and the comparison view all split text with
`sentence_spans`, so a claim's sentence, a passage's sentences and the marks in the
view agree on where sentences start and end. Offsets are exact: `text[start:end]`
is the sentence with its surrounding whitespace trimmed.
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n[ \t]*\n|\s*\Z)", re.DOTALL)
_SPACES = re.compile(r"\s*")
# A sentence ends at . ! ? or … (with any closing quotes or brackets) before whitespace,
# and after markup no article sentence holds: a chat-template marker with the role that
# follows it ("<|im_start|>user"), a tag ("</article>"), the end of a JSON object. Markup
# with no full stop would otherwise join the next sentence, and that sentence, read with
# it, could be lost as a claim.
_SENTENCE_END = re.compile(
    r"[.!?…]+[\"'”’)\]]*(?=\s)"
    r"|<\|[^|\n]{0,40}\|>(?:[ \t]*(?:system|user|assistant)\b)?"
    r"|</?[A-Za-z][\w:-]{0,30}>"
    r"|\}(?=\s)"
)
# ... unless the full stop closes an abbreviation or an initial ("Mr. Smith", "J. Smith",
# "U.S. economy", "Sept. 3", "No. 5").
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sen|Rep|Gov|Gen|Lt|Col|Capt|Sgt|Jr|Sr|Inc|Ltd|Co|Corp|vs|"
    r"etc|No|Nos|Ave|Blvd|Rd|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Z])"
    r"|\b(?:e\.g|i\.e|U\.S|U\.K|a\.m|p\.m))\.$"
)
STOPWORDS = frozenset(
    "a an the of to in on at by for from with and or but as is was were are be been has have had "
    "it its this that these those which who whom than then so about after over into out".split()
)
WORD = re.compile(r"[a-z0-9$%£€]+(?:[.,'][a-z0-9]+)*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace excluded; a paragraph break always ends one."""
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        start = para.start()
        for m in _SENTENCE_END.finditer(text, para.start(), para.end()):
            if m.end() <= start:
                continue
            if _ABBREVIATION.search(text, max(start, m.end() - 8), m.end()):
                continue
            spans.append((start, m.end()))
            start = _SPACES.match(text, m.end()).end()
        if start < para.end():
            spans.append((start, para.end()))
    return spans


def sentence_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) that hold text[start:end] (the span itself if none)."""
    covering = [(s, e) for s, e in sentence_spans(text) if s < end and start < e]
    if not covering:
        return start, end
    return min(covering[0][0], start), max(covering[-1][1], end)


def words(text: str) -> list[str]:
    """Lower-case word tokens (numbers keep their inner commas and points)."""
    return WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    """The words of `text` that carry its content: no stop words."""
    return {w for w in words(text) if w not in STOPWORDS}
