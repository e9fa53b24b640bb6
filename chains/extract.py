"""Claim extraction: checkable claims, each with a verbatim quote and its offsets.

The model is asked for the quote first (a small model copies better than it
paraphrases), then a self-contained restatement. Every quote is located in the
article; one that cannot be found is dropped, so `text[start:end] == quote` holds
for every claim that leaves this module. Long articles are read in windows of whole
sentences; duplicates from overlapping windows are merged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field

from chains.llm import structured
from chains.models import Claim
from prompts.loader import Prompt, load_prompt
from vectorstore.sentences import sentence_spans

# Predictions, hopes and opinions are not checkable against past coverage.
_NOT_CHECKABLE = re.compile(
    # lower-case only, so that the month "May" is not taken for the verb
    r"\b(will|would|could|might|should|may|expects?|expected to|plans? to|hopes? to|is set to|"
    r"believes?|likely)\b"
    r"|(?i:\b(i|we) (think|believe|feel)\b|\bin my view\b)"
)
_FIGURE = re.compile(r"\d")
_MAX_FIGURE_SENTENCE = 400  # longer "sentences" are tables or lists run together
_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


# No length limits in these schemas: they become the model's grammar, and bounded
# repetitions blow it up. Lengths are bounded where the answer is used instead.
class ExtractedClaim(BaseModel):
    quote: str
    claim: str


class ExtractedClaims(BaseModel):
    claims: list[ExtractedClaim] = Field(default_factory=list)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def windows(text: str, max_chars: int = 2400) -> Iterator[tuple[int, int]]:
    """Windows of whole sentences, each overlapping the last by one sentence."""
    spans = sentence_spans(text)
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= max_chars:
            j += 1
        yield spans[i][0], spans[j][1]
        if j + 1 >= len(spans):
            return
        i = max(j, i + 1)  # the last sentence opens the next window too


def _folded(text: str) -> tuple[str, list[int]]:
    """Text with quotes/dashes folded and whitespace collapsed, plus a map back to offsets."""
    out, index = [], []
    for i, ch in enumerate(unicodedata.normalize("NFC", text)):
        ch = ch.translate(_FOLD).lower()
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        out.append(ch)
        index.append(i)
    return "".join(out), index


def _find(text: str, quote: str, hint: int) -> tuple[int, int] | None:
    """Exact first, then ignoring quote style and spacing."""
    found = text.find(quote, hint)
    if found < 0:
        found = text.find(quote)
    if found >= 0:
        return found, found + len(quote)
    folded_text, index = _folded(text)
    folded_quote = _folded(quote)[0].strip()
    found = folded_text.find(folded_quote)
    if found < 0:
        return None
    return _trim(text, index[found], index[found + len(folded_quote) - 1] + 1)


def locate_quote(text: str, quote: str, hint: int = 0) -> tuple[int, int] | None:
    """Offsets of `quote` in `text`, or None when the article does not hold it.

    A quote the model cut short ("... 2024." for "... 2024, after 14 months.") is found
    without its final punctuation and widened to its whole sentence: the span is always
    the article's own text.
    """
    quote = quote.strip().strip('"').strip()
    if len(quote) < 8:
        return None
    span = _find(text, quote, hint)
    if span is not None:
        return span
    shortened = quote.rstrip(".!?,;: ")
    span = _find(text, shortened, hint) if len(shortened) >= 20 else None
    if span is None:
        return None
    return next(((s, e) for s, e in sentence_spans(text) if s <= span[0] and span[1] <= e), span)


def _content_words(text: str) -> set[str]:
    return {
        w
        for w in re.findall(r"[a-z0-9$%.,]+", text.lower())
        if len(w) > 3 or any(c.isdigit() for c in w)
    }


def restatement(quote: str, claim: str) -> str:
    """The model's self-contained claim when it is a restatement of the quote, else the quote.

    A small model sometimes repeats an earlier claim for a later quote; a claim that
    shares too little with its own quote is not trusted.
    """
    claim = claim.strip()[:800]
    words = _content_words(quote)
    if not claim or not words or len(words & _content_words(claim)) / len(words) < 0.5:
        return quote
    return claim


def is_checkable(quote: str) -> bool:
    return not quote.rstrip().endswith("?") and not _NOT_CHECKABLE.search(quote)


def _same(a: Claim, b: Claim) -> bool:
    overlap = min(a.end, b.end) - max(a.start, b.start)
    if overlap <= 0:
        return False
    words_a, words_b = set(a.text.lower().split()), set(b.text.lower().split())
    return len(words_a & words_b) / max(1, len(words_a | words_b)) >= 0.6


def _missed_figures(text: str, found: list[Claim], room: int) -> list[Claim]:
    """Checkable sentences of 5 words or more with a digit that no claim overlaps, in
    article order."""
    out: list[Claim] = []
    for start, end in sentence_spans(text):
        if len(out) >= room:
            break
        quote = text[start:end]
        if (
            _FIGURE.search(quote)
            and len(quote.split()) >= 5
            and len(quote) <= _MAX_FIGURE_SENTENCE
            and is_checkable(quote)
            and not any(c.start < end and start < c.end for c in found)
        ):
            out.append(
                Claim(id="", text=" ".join(quote.split()), quote=quote, start=start, end=end)
            )
    return out


def extract_claims(
    text: str,
    model: BaseChatModel,
    *,
    prompt: Prompt | None = None,
    max_claims: int = 25,
    window_chars: int = 2400,
    figure_sentences: bool = True,
    config: RunnableConfig | None = None,
) -> tuple[list[Claim], list[str]]:
    """Claims in article order, and warnings for what was dropped.

    With `figure_sentences`, sentences holding a figure (number, amount, date) that the
    model passed over are added as they stand, while there is room: the embedded model
    sometimes misses an article's main figure, and the check-worthiness filter judges
    these like the rest.
    """
    prompt = prompt or load_prompt("extract_claims")
    chain = structured(model, ExtractedClaims, max_tokens=1200)
    found: list[Claim] = []
    warnings: list[str] = []
    for w_start, w_end in windows(text, window_chars):
        messages = prompt.render(article=text[w_start:w_end], max_claims=str(max_claims))
        answer = chain.invoke(messages, config=config)
        for item in answer.claims[: 2 * max_claims]:
            span = locate_quote(text, item.quote, w_start)
            if span is None:
                warnings.append(
                    f"dropped a claim whose quote is not in the article: {item.quote[:80]!r}"
                )
                continue
            quote = text[span[0] : span[1]]
            if not is_checkable(quote):
                continue
            claim = Claim(
                id="", text=restatement(quote, item.claim), quote=quote, start=span[0], end=span[1]
            )
            if not any(_same(claim, other) for other in found):
                found.append(claim)
    if figure_sentences:
        found += _missed_figures(text, found, max_claims - len(found))
    found.sort(key=lambda c: (c.start, c.end))
    if len(found) > max_claims:
        warnings.append(f"kept the first {max_claims} of {len(found)} claims")
        found = found[:max_claims]
    return [c.model_copy(update={"id": f"c{i}"}) for i, c in enumerate(found, 1)], warnings
