"""Deterministic checks that explain a mismatch between a claim and a passage.

Figures with their unit (chains.quantities), dates read against the date each text was
written (chains.dates), names, negation, opposite words and changes of status
("postponed" / "on schedule") are compared without a model. A claim value missing from
the passage is a mismatch; the passage giving a different value for the same thing is a
conflict, and a conflict is a difference a reporter can be shown. `closest_sentence`
finds the passage sentence that makes the same statement as the claim, so a value is
compared with the value of the same statement, not of another event.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from chains.dates import MONTHS, WEEKDAYS, DateMention, date_mentions, differing_level, rivals
from chains.dates import states as date_states
from chains.models import Mismatch
from chains.opposites import one_at_a_time, opposites, stem
from chains.quantities import MEASURES, NUMBER_WORDS, SCALE, Quantity, quantities
from vectorstore.sentences import STOPWORDS, content_words, sentence_spans, words

_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_ABBREVIATIONS = ("Dr.", "Mr.", "Mrs.", "Ms.", "St.", "Gov.", "Sen.", "Rep.")
NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|denied|rejected|failed|without)\b|n't\b", re.I
)
NEGATION_SCOPE = 5  # words after a negation that it negates
# Irregular past tenses of verbs news states facts with, and their verbs.
_IRREGULAR = (
    "won:win lost:lose held:hold paid:pay sold:sell made:make took:take gave:give left:leave "
    "met:meet ran:run began:begin became:become went:go came:come said:say told:tell "
    "found:find kept:keep built:build spent:spend bought:buy brought:bring rose:rise "
    "fell:fall grew:grow struck:strike chose:choose wrote:write spoke:speak drove:drive "
    "broke:break fought:fight thought:think sent:send led:lead stood:stand"
)
IRREGULAR = {stem(a): stem(b) for a, b in (pair.split(":") for pair in _IRREGULAR.split())}
_COMMON = {
    *"The A An In On At It He She They We This That But And Mr Mrs Ms Dr After Before".split(),
    *"When While Last Next".split(),
    *(d.title() for d in WEEKDAYS),
    *(m.title() for m in MONTHS),
    # titles before a name
    *"Mayor President Governor Senator Councillor Chief Judge Superintendent".split(),
}

# Words that carry a value, not the statement: the values are compared on their own.
_VALUE_WORDS = {
    *MONTHS, *"jan feb mar apr jun jul aug sep sept oct nov dec".split(), *WEEKDAYS, *SCALE,
    *"percent cent yesterday today tomorrow tonight week month year last next ago".split(),
    *"until since during also said says".split(),  # function words the stop list lacks
    *NUMBER_WORDS,
}  # fmt: skip


@lru_cache(maxsize=8192)
def statement_words(text: str) -> frozenset[str]:
    """Stems of the words that make the statement: content words less figures and dates;
    an irregular past tense is read as its verb ("began" as "begin")."""
    found = (w.removesuffix("'s").removesuffix("\u2019s") for w in content_words(text))
    stems = (
        stem(w)
        for w in found  # "the center's 30 bays" speaks of the center too
        if w not in _VALUE_WORDS and w.isalpha() and not any(c in w for c in "$%£€")
    )
    return frozenset(IRREGULAR.get(w, w) for w in stems)


def closest_sentence(claim: str, passage: str) -> tuple[str, float]:
    """The passage sentence sharing the most of the claim's statement words, and that share
    (0..1; a claim of one such word reaches 0.5 at most: one shared word is no statement)."""
    words = statement_words(claim)
    best, share = passage, 0.0
    for start, end in sentence_spans(passage):
        sentence = passage[start:end]
        overlap = len(words & statement_words(sentence)) / max(2, len(words))
        if overlap > share:
            best, share = sentence, overlap
    return best, share


def dates_in(text: str, base: dt.date | None = None) -> tuple[DateMention, ...]:
    return date_mentions(text, base)


def figures(text: str) -> tuple[Quantity, ...]:
    """The figures of a text; a number inside one of its dates is not a figure."""
    return quantities(text, tuple((d.start, d.end) for d in date_mentions(text)))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def _shown(q: Quantity) -> str:
    money = q.unit in ("$", "£", "€")
    return f"{q.unit if money else ''}{_fmt(q.value)}" + (
        f" {q.unit}" if q.unit and not money else ""
    )


def states_figure(figures: tuple[Quantity, ...], value: float, unit: str) -> bool:
    """Whether one of `figures` is this value in a unit that may be the same. A unit is
    only the word after the figure ("40 electric buses" has "electric"), so only two known
    measures can differ ("a six-year sentence" is not "a six-day trial")."""
    return any(
        f.value == value and (f.unit == unit or f.unit not in MEASURES or unit not in MEASURES)
        for f in figures
    )


def number_mismatches(claim: str, passage: str) -> list[Mismatch]:
    mine, theirs = figures(claim), figures(passage)
    out: list[Mismatch] = []
    for unit, value in dict.fromkeys((q.unit, q.value) for q in mine):
        if states_figure(theirs, value, unit):
            continue
        same_unit = {m.value for m in mine if m.unit == unit}
        others = sorted({t.value for t in theirs if unit and t.unit == unit} - same_unit)
        out.append(
            Mismatch(
                kind="number",
                claim_value=_shown(Quantity(0, 0, value, unit)),
                passage_values=[_fmt(v) for v in others],
                conflict=bool(others),
                note="the passage gives a different figure" if others else "not in the passage",
            )
        )
    return out


def _date_shown(d: DateMention, level: str) -> str:
    label = d.label(level)
    relative = not any(c.isdigit() for c in d.text)  # "Tuesday", "last week": say which
    return f"{label} ({d.text})" if relative and d.text not in label else label


def date_mismatches(
    claim: str,
    passage: str,
    *,
    claim_date: dt.date | None = None,
    passage_date: dt.date | None = None,
) -> list[Mismatch]:
    """Claim dates the passage does not state; a conflict where it gives another date for
    them. Year-less and relative dates are read against each text's own date."""
    mine, theirs = dates_in(claim, claim_date), dates_in(passage, passage_date)
    out: dict[str, Mismatch] = {}
    for c in mine:
        if any(date_states(p, c) for p in theirs):
            continue
        found = rivals(c, mine, theirs)
        level = differing_level(c, found[0]) if found else c.level()
        value = _date_shown(c, level)
        if value in out:
            continue
        out[value] = Mismatch(
            kind="date",
            claim_value=value,
            passage_values=sorted({_date_shown(p, level) for p in found}),
            conflict=bool(found),
            note=f"a different {level if level != 'span' else 'date'}"
            if found
            else "not in the passage",
        )
    return list(out.values())


def _names(text: str) -> set[str]:
    """Capitalised word runs, less a leading common word or title; a lone capitalised
    word opening a sentence is not taken for a name."""
    names = set()
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        before = text[: m.start()].rstrip()
        opens_sentence = not before or (
            before[-1] in '.!?"' and not before.endswith(_ABBREVIATIONS)
        )
        if words[0] in _COMMON:
            words = words[1:]
        elif opens_sentence and len(words) == 1:
            words = []
        if words:
            names.add(" ".join(words))
    return names


def name_mismatches(claim: str, passage: str) -> list[Mismatch]:
    """Names of the claim the passage lacks. One that shares no word with the passage,
    where the passage names someone or something the claim does not, is a conflict
    ("Walter Briggs" / "Robert Kline"); a surname alone ("Raman") counts as present."""
    # Whitespace collapsed on both sides: a name broken across a line is still there.
    passage_flat = " ".join(passage.lower().split())
    passage_words = set(passage_flat.split())
    claim_words = set(claim.lower().split())
    others = sorted(
        n for n in _names(passage) if not any(w.lower() in claim_words for w in n.split())
    )
    out = []
    for name in sorted(_names(claim)):
        if " ".join(name.lower().split()) in passage_flat:
            continue
        absent = not any(w.lower() in passage_words for w in name.split())
        conflict = absent and bool(others)
        out.append(
            Mismatch(
                kind="name",
                claim_value=name,
                passage_values=others if conflict else [],
                conflict=conflict,
                note="another name" if conflict else "not in the passage",
            )
        )
    substituted = substituted_names(claim, passage)
    within = [m for m in out if not any(s.claim_value in m.claim_value for s in substituted)]
    return within + substituted


# A capitalised word (a name, "U.S.", "Russian") and the word it qualifies: "the Russian
# embassy", "Russia's invasion".
_QUALIFIED = re.compile(r"\b([A-Z][a-z]*(?:\.[A-Z])*\.?|[A-Z]{2,})(?:'s|\u2019s)?\s+([a-z]{3,})\b")


def _plain_words(text: str) -> set[str]:
    return {w.removesuffix("'s") for w in words(text)}


def substituted_names(claim: str, passage: str) -> list[Mismatch]:
    """Names the passage replaced: the claim's name is absent from the passage, where the
    passage puts another name the claim lacks before the same word ("the Mexican embassy"
    / "the Russian embassy", "the U.S.'s invasion" / "Russia's invasion")."""
    passage_words, claim_words = _plain_words(passage), _plain_words(claim)
    before: dict[str, set[str]] = {}
    for name, word in _QUALIFIED.findall(passage):
        if name not in _COMMON and not _plain_words(name) & claim_words:
            before.setdefault(word, set()).add(name)
    out: dict[str, Mismatch] = {}
    for name, word in _QUALIFIED.findall(claim):
        if (
            name not in _COMMON
            and word not in STOPWORDS
            and word in before
            and not _plain_words(name) & passage_words
        ):
            out[name] = Mismatch(
                kind="name",
                claim_value=name,
                passage_values=sorted(before[word]),
                conflict=True,
                note="another name",
            )
    return list(out.values())


def negations(text: str, other: str) -> list[re.Match]:
    """The negations of `text` that bear on `other`: among the few words that follow each
    (what it negates), one of `other`'s statement words. In "the center has 24 bays, so
    patients no longer have to travel", the "no" negates nothing of "the center has 24 bays"."""
    words = statement_words(other)
    found = []
    for m in NEGATION.finditer(text):
        scope = statement_words(" ".join(text[m.end() :].split()[:NEGATION_SCOPE]))
        if not scope or scope & words:  # with nothing after it, what it negates is unknown
            found.append(m)
    return found


def counted_negations(claim: str, passage: str) -> tuple[list[re.Match], list[re.Match]]:
    """The negations that count on each side. The claim is one statement: any negation in
    it negates it. A passage says more than the claim: only its negations of the claim's
    words count."""
    return list(NEGATION.finditer(claim)), negations(passage, claim)


def negation_mismatch(claim: str, passage: str) -> list[Mismatch]:
    a, b = (bool(found) for found in counted_negations(claim, passage))
    if a == b:
        return []
    side = "claim" if a else "passage"
    return [
        Mismatch(
            kind="negation",
            claim_value="negated" if a else "affirmed",
            conflict=True,
            note=f"only the {side} is negated",
        )
    ]


def antonym_mismatch(claim: str, passage: str) -> list[Mismatch]:
    return _opposite_mismatches(claim, passage, "negation", "opposite words")[:1]


def status_mismatches(claim: str, passage: str) -> list[Mismatch]:
    """A status of the claim whose opposite the passage gives, read from both sides for a
    status held one at a time: a passage that says "will stay open ... a proposal to close
    it" says "close" too, but still gives "stay open" where the claim says "closed"."""
    found = _opposite_mismatches(claim, passage, "status", "a change of status")
    found += [
        Mismatch(
            kind="status",
            claim_value=theirs,
            passage_values=[passage[start:end]],
            conflict=True,
            note="a change of status",
        )
        for start, end, kind, theirs in opposites(passage, claim)
        if kind == "status" and one_at_a_time(passage[start:end])
    ]
    return found[:1]


def _opposite_mismatches(claim: str, passage: str, kind: str, note: str) -> list[Mismatch]:
    return [
        Mismatch(
            kind=kind,
            claim_value=claim[start:end],
            passage_values=[theirs],
            conflict=True,
            note=note,
        )
        for start, end, found, theirs in opposites(claim, passage)
        if found == kind
    ]


def compare_facts(
    claim: str,
    passage: str,
    *,
    claim_date: dt.date | None = None,
    passage_date: dt.date | None = None,
) -> list[Mismatch]:
    """All deterministic differences between a claim and a passage (opposite words apart:
    `antonym_mismatch`)."""
    return (
        number_mismatches(claim, passage)
        + date_mismatches(claim, passage, claim_date=claim_date, passage_date=passage_date)
        + name_mismatches(claim, passage)
        + negation_mismatch(claim, passage)
        + status_mismatches(claim, passage)
    )


def lacked_elsewhere(near: list[Mismatch], whole: list[Mismatch]) -> list[Mismatch]:
    """A sentence's mismatches (`near`) less the figures and dates that the rest of the
    passage states: `whole`, the whole passage's mismatches, holds each value it lacks.
    A value stated in another sentence belongs to the same story, not to a conflict."""
    absent = {(m.kind, m.claim_value) for m in whole}
    return [
        m for m in near if m.kind not in {"number", "date"} or (m.kind, m.claim_value) in absent
    ]


def named_difference(mismatches: list[Mismatch]) -> Mismatch | None:
    """The first difference that can be shown to a reporter: a conflict."""
    return next((m for m in mismatches if m.conflict), None)


def describe(m: Mismatch) -> str:
    """A difference in words, for a reason."""
    if m.kind == "negation" and not m.passage_values:
        return m.note
    if m.kind in {"negation", "status"}:
        return (
            f"the passage says \u201c{', '.join(m.passage_values)}\u201d "
            f"where the claim says \u201c{m.claim_value}\u201d ({m.note})"
        )
    return f"the passage gives {', '.join(m.passage_values)} where the claim has {m.claim_value}"


_PREPOSITION = re.compile(r"\b(?:in|on|at|since|by)\s+$")


def harmonised(
    claim: str,
    sentence: str,
    *,
    claim_date: dt.date | None = None,
    passage_date: dt.date | None = None,
) -> str:
    """The claim with each figure and date that the sentence states too written as the
    sentence writes it ("1,200,000 dollars" as "$1.2 million", "in July 2024" as "on
    Monday, July 8"), so the model compares statements, not the ways of writing a value."""
    swaps = []
    theirs = figures(sentence)
    for q in figures(claim):
        same = next((t for t in theirs if (t.value, t.unit) == (q.value, q.unit)), None)
        if same is not None:
            swaps.append((q.start, q.end, sentence[same.start : same.end]))
    dates = dates_in(sentence, passage_date)
    for d in dates_in(claim, claim_date):
        match = next((p for p in dates if date_states(p, d)), None)
        if match is not None:  # with its preposition: "in July 2024" / "on Monday, July 8"
            mine, its = (
                _PREPOSITION.search(claim[: d.start]),
                _PREPOSITION.search(sentence[: match.start]),
            )
            start = mine.start() if mine and its else d.start
            swaps.append((start, d.end, (its.group(0) if mine and its else "") + match.text))
    out, end = claim, len(claim) + 1
    for start, stop, text in sorted(swaps, reverse=True):
        if stop <= end:  # overlapping spans: the later one only
            out, end = out[:start] + text + out[stop:], start
    return out
