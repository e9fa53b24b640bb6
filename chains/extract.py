"""Claim extraction: every sentence of the article is scored on its own.

The article is split once (`vectorstore.sentences`); each sentence is a candidate
whose quote is the sentence itself, located by offsets and never retyped. A
forward-looking sentence counts for the past fact it carries ("X, who was first
elected in 2019, will seek ..." gives that clause); without one it is a prediction or
an opinion, left out, unless it holds a figure other than a year (an attributed
estimate is checkable; "will open in 2026" is a plan).
Each candidate's check-worthiness is the probability of YES to a short question about
that candidate alone (`chains.checkworthy`), so nothing one sentence says can change
what is found elsewhere: an instruction in the article is one more sentence, scored
like the rest. A restatement is made only where a claim opens with a pronoun: the
model names what it refers to, copied from the text before it, and the code puts
that in the pronoun's place, so every number, date and name of the quote stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from chains.checkworthy import checkworthiness
from chains.llm import ModelOutputError, UsageCounter, structured
from chains.models import Claim
from prompts.loader import Prompt, load_prompt
from vectorstore.sentences import sentence_spans

MIN_WORDS = 4  # shorter "sentences" are bylines, datelines and fragments
MAX_SENTENCE = 600  # longer "sentences" are tables or lists run together
_FORWARD = re.compile(
    # lower-case only, so that the month "May" is not taken for the verb
    r"\b(will|would|could|might|should|may|expects?|expected to|plans? to|hopes? to|"
    r"intends? to|is set to|are set to|likely|believes?)\b"
)
_FIGURE = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_OPINION = re.compile(r"(?i:\b(i|we) (think|believe|feel)\b|\bin my view\b)")
# "X, who was first elected in 2019, will ..." / "X, which opened in 2010, will ..."
_RELATIVE = re.compile(r"(?P<subject>[^,]{3,80}?), (?:who|which) (?P<fact>[^,]{5,200}?),\s")
# "X, built in 1958, will ..." (a participle opening the clause)
_PARTICIPLE = re.compile(
    r"(?P<subject>[^,]{3,80}?), (?P<fact>(?:first |originally )?"
    r"(?:[a-z]+ed|built|won|held|sold|made|paid|chosen|taken|given|begun|bought|hit|cut|"
    r"set|shut|spent|grown|known|run|seen|shown|struck|brought|fought|thought)"
    r" [^,]{3,150}?),\s"
)
# "The hospital opened in 2010 and will add a wing next year."
_COMPOUND = re.compile(r"(?P<fact>.{15,}?),? (?:and|but) (?=(?:will|plans? to|is set to)\b)")
_PRONOUN = re.compile(r"[\"'\u201c\u2018]?(?P<word>It|He|She|They|Its|His|Her|Their)\b")
_POSSESSIVE = {"Its", "His", "Her", "Their"}
_FACT_TOKEN = re.compile(r"\S*\d\S*|\b[A-Z][a-z]+\b")
_CONTEXT_CHARS = 600


@dataclass(frozen=True)
class Candidate:
    """A sentence, or the past fact in a forward-looking one, proposed as a claim."""

    start: int
    end: int  # text[start:end] is the quote
    text: str  # what is scored and judged


class Reference(BaseModel):
    refers_to: str


def is_forward_looking(sentence: str) -> bool:
    return bool(_FORWARD.search(sentence) or _OPINION.search(sentence))


def past_fact(sentence: str) -> tuple[int, int, str] | None:
    """(start, end, fact) of the past fact inside a forward-looking sentence, if any."""
    for pattern, verb in ((_RELATIVE, ""), (_PARTICIPLE, "was ")):
        m = pattern.match(sentence)
        if m and not is_forward_looking(m.group("fact")) and is_forward_looking(sentence):
            fact = f"{m.group('subject').strip()} {verb}{m.group('fact').strip()}."
            return m.start(), m.end("fact"), fact
    m = _COMPOUND.match(sentence)
    if m and not is_forward_looking(m.group("fact")):
        return m.start(), m.end("fact"), m.group("fact").strip().rstrip(",") + "."
    return None


def candidates(text: str) -> tuple[list[Candidate], int]:
    """Every sentence that could state a checkable fact, and how many were too long to read."""
    found, too_long = [], 0
    for start, end in sentence_spans(text):
        quote = text[start:end]
        if len(quote.split()) < MIN_WORDS or quote.rstrip("\"')\u201d\u2019 ").endswith("?"):
            continue
        if len(quote) > MAX_SENTENCE:
            too_long += 1
            continue
        if is_forward_looking(quote):
            fact = past_fact(quote)
            if fact is not None:
                found.append(Candidate(start + fact[0], start + fact[1], " ".join(fact[2].split())))
                continue
            if not _FIGURE.search(_YEAR.sub("", quote)):
                continue  # a prediction or an opinion alone ("will open in 2026": a plan)
            # With a figure it may be an attributed fact ("the budget office says 20 million
            # will lose cover"): the model judges it like any sentence.
        found.append(Candidate(start, end, " ".join(quote.split())))
    return found, too_long


def keeps_facts(quote: str, text: str) -> bool:
    """Every number, date and capitalised name of the quote is in the claim's text."""
    return all(token.strip(".,;:\"'()") in text for token in _FACT_TOKEN.findall(quote))


def resolve_pronoun(
    model: BaseChatModel,
    text: str,
    candidate: Candidate,
    *,
    prompt: Prompt,
    config: RunnableConfig | None = None,
) -> str:
    """The candidate with an opening pronoun replaced by what it refers to, when the
    model names words that stand in the text before it; else the candidate as it is."""
    m = _PRONOUN.match(candidate.text)
    if m is None:
        return candidate.text
    before = text[max(0, candidate.start - _CONTEXT_CHARS) : candidate.start]
    context = " ".join(before.split())
    if not context:
        return candidate.text
    messages = prompt.render(context=context, sentence=candidate.text, pronoun=m.group("word"))
    try:
        answer = structured(model, Reference, max_tokens=40).invoke(messages, config=config)
    except ModelOutputError:
        return candidate.text  # the quote stands as the claim
    name = " ".join(answer.refers_to.split()).strip(" .,\"'")
    if not name or len(name) > 80 or name.lower() not in context.lower():
        return candidate.text
    if _PRONOUN.fullmatch(name) or name.lower() in {"it", "he", "she", "they"}:
        return candidate.text
    name = name[0].upper() + name[1:]
    if m.group("word") in _POSSESSIVE:
        name += "'" if name.endswith("s") else "'s"
    restated = candidate.text[: m.start("word")] + name + candidate.text[m.end("word") :]
    rest = candidate.text[m.end("word") :]
    return restated if keeps_facts(rest, restated) else candidate.text


def extract_claims(
    text: str,
    model: BaseChatModel,
    *,
    threshold: float = 0.5,
    max_claims: int = 25,
    checkworthy_prompt: Prompt | None = None,
    resolve_prompt: Prompt | None = None,
    usage: UsageCounter | None = None,
    config: RunnableConfig | None = None,
) -> tuple[list[Claim], list[str]]:
    """Claims in article order, and warnings for what was left out.

    A candidate is kept when its check-worthiness is at least `threshold` (0 keeps
    every candidate); at most `max_claims`, the most check-worthy, are kept.
    """
    checkworthy_prompt = checkworthy_prompt or load_prompt("checkworthy")
    resolve_prompt = resolve_prompt or load_prompt("resolve_reference")
    found, too_long = candidates(text)
    # All sentences are scored before any restatement: one prompt prefix stays cached.
    scored, unscored = [], []
    for c in found:
        try:
            p = checkworthiness(
                model, c.text, prompt=checkworthy_prompt, usage=usage, config=config
            )
        except ModelOutputError:  # malformed twice: this sentence only, said in the report
            unscored.append(c)
            continue
        scored.append((c, p))
    if unscored and not scored:
        raise ModelOutputError(  # not one answer could be read: the model, not a sentence
            f"the model's answers about all {len(unscored)} sentence(s) were malformed"
        )
    kept = [(c, p) for c, p in scored if p >= threshold]
    warnings = [
        f"Could not be checked: the model's answer about this sentence was malformed twice: "
        f"\u201c{c.text[:200]}\u201d"
        for c in unscored
    ]
    if too_long:
        warnings.append(
            f"{too_long} sentence(s) over {MAX_SENTENCE} characters (tables or lists run "
            "together) were not read as claims."
        )
    if len(kept) < len(scored):
        warnings.append(
            f"{len(scored) - len(kept)} sentence(s) were left out as not checkable "
            "(opinion, promise or too vague to check)."
        )
    if len(kept) > max_claims:
        warnings.append(f"kept the {max_claims} most check-worthy of {len(kept)} claims")
        kept = sorted(kept, key=lambda cp: -cp[1])[:max_claims]
    kept.sort(key=lambda cp: cp[0].start)
    claims = []
    for i, (c, p) in enumerate(kept, 1):
        claim_text = resolve_pronoun(model, text, c, prompt=resolve_prompt, config=config)
        claims.append(
            Claim(
                id=f"c{i}",
                text=claim_text,
                quote=text[c.start : c.end],
                start=c.start,
                end=c.end,
                checkworthiness=round(p, 4),
            )
        )
    return claims, warnings
