"""The deterministic half of comparison: what the checks find in a claim-passage pair
(the passage sentence making the claim's statement, values that differ or are missing),
the stances they settle alone, and where they overrule the model's (``chains.compare``
asks the model and applies these)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chains.checks import (
    antonym_mismatch,
    closest_sentence,
    compare_facts,
    date_mismatches,
    describe,
    lacked_elsewhere,
    named_difference,
    number_mismatches,
)
from chains.models import Mismatch, Stance

# Share of the claim's content words that one passage sentence must hold to make "the
# same statement" (a different value in it is then a contradiction), and to restate it.
# Restating takes every word: on SummEdits, 20 of 41 summaries sharing >= 0.8 of their
# words with one sentence of the article had one word changed (a swapped entity or an
# opposite word the lists do not know) and were not consistent.
SAME_STATEMENT = 0.6
RESTATEMENT = 1.0
RELATED = 0.4  # below this the passage's sentences are about something else
# A "contradicts" the model gives less probability than this does not count: on the
# demo archive its unsure "contradicts" fell on passages about other events. Its
# "supports" is taken as argmax: a floor there cost SummEdits recall of consistent
# summaries (balanced accuracy 0.78 argmax vs 0.71 with a 0.6 floor, 37 items).
MIN_MODEL_PROBABILITY = 0.6


@dataclass
class FactCheck:
    """What the deterministic checks found for one claim-passage pair."""

    sentence: str  # the passage sentence closest to the claim
    overlap: float  # share of the claim's words in that sentence
    mismatches: list[Mismatch]
    decided: Stance | None = None  # set when the checks settle the stance alone
    note: str = ""


def check_facts(
    claim: str,
    passage: str,
    *,
    claim_date: dt.date | None = None,
    passage_date: dt.date | None = None,
) -> FactCheck:
    """Compare the claim with the passage sentence that makes the same statement.

    Dates without a year, and relative ones, are read against `claim_date` (the
    article's date, or the day of the check) and `passage_date` (its publication date);
    None leaves them unread. Decisive cases need no model: the same statement with
    another figure, date, status or an opposite word contradicts; the same statement
    with every fact equal supports. A related sentence's differences are named (for a
    "contradicts" of the model to stand on) but decide nothing alone.
    """
    when = {"claim_date": claim_date, "passage_date": passage_date}
    sentence, overlap = closest_sentence(claim, passage)
    if overlap >= SAME_STATEMENT:
        mismatches = compare_facts(claim, sentence, **when) + antonym_mismatch(claim, sentence)
        conflict = named_difference(mismatches)
        opposite = {"negation", "status"}  # "closed" / "open" is both: one difference
        kinds = {"opposite" if m.kind in opposite else m.kind for m in mismatches if m.conflict}
        # One kind of difference decides alone. Two at once (the verb and its date:
        # "reopened on November 15" / "closed on September 5") are more often two events
        # than one wrong sentence, and so is a sentence that lacks another figure or date
        # of the claim ("will not lay off workers ..., said on Monday" against "announced a
        # $9.5 million expansion in February"): the model judges, and can point to them.
        lacking = any(not m.conflict and m.kind in {"number", "date"} for m in mismatches)
        if conflict is not None and len(kinds) == 1 and not lacking:
            note = describe(conflict)
            return FactCheck(sentence, overlap, mismatches, Stance.CONTRADICTS, note)
        if overlap >= RESTATEMENT and not mismatches:
            note = "the archive's sentence states the same facts"
            return FactCheck(sentence, overlap, mismatches, Stance.SUPPORTS, note)
        # A figure or date the sentence lacks is missing only if the passage lacks it too:
        # a story states an event's facts over two sentences.
        absent = {
            (m.kind, m.claim_value)
            for m in number_mismatches(claim, passage) + date_mismatches(claim, passage, **when)
        }
        kept = [
            m
            for m in mismatches
            if m.conflict or m.kind not in {"number", "date"} or (m.kind, m.claim_value) in absent
        ]
        return FactCheck(sentence, overlap, kept)
    # Another statement: a value missing from the whole passage is missing, but a value
    # that differs elsewhere belongs to another event, and a "not" or a status word
    # elsewhere says nothing about the claim.
    whole = [
        m.model_copy(update={"conflict": False, "passage_values": []})
        for m in compare_facts(claim, passage, **when)
        if m.kind not in {"negation", "status"}
    ]
    if overlap < RELATED:
        return FactCheck(sentence, overlap, whole)
    near = compare_facts(claim, sentence, **when) + antonym_mismatch(claim, sentence)
    named = [m for m in lacked_elsewhere(near, whole) if m.conflict]
    shown = {(m.kind, m.claim_value) for m in named}
    return FactCheck(
        sentence, overlap, named + [m for m in whole if (m.kind, m.claim_value) not in shown]
    )


NO_DIFFERENCE = "the passage is about the same event but no differing fact was found"


def checked_stance(
    stance: Stance,
    facts: FactCheck,
    probability: float | None = None,
) -> tuple[Stance, str]:
    """The model's stance, overruled where the checks contradict it; says why.

    A "contradicts" needs a difference the checks can name: the model alone never
    contradicts (``settle`` lets the stance classifier confirm one the checks overruled).
    """
    # Names are not vetoed: capitalised words in a paraphrase ("Australian", a title)
    # are often not in the passage as such (SummEdits: the name veto cost 0.06).
    missing = [m for m in facts.mismatches if m.kind in {"number", "date"}]
    if stance is Stance.SUPPORTS and missing:
        return Stance.NEUTRAL, f"{missing[0].claim_value} is not in the passage"
    if stance is not Stance.CONTRADICTS:
        return stance, ""
    if facts.overlap < RELATED:
        return Stance.NEUTRAL, "no sentence of the passage speaks to the claim's statement"
    if named_difference(facts.mismatches) is None:
        if facts.overlap >= SAME_STATEMENT:
            return Stance.NEUTRAL, NO_DIFFERENCE
        return Stance.NEUTRAL, "the passage is related but no differing fact was found"
    # The small model sees contradictions everywhere: an unsure one does not count.
    if probability is not None and probability < MIN_MODEL_PROBABILITY:
        return (
            Stance.NEUTRAL,
            f"the model was unsure ({probability:.0%} for {stance.value.lower()})",
        )
    return stance, ""
