"""Retrieval: dense, BM25 and hybrid search on a real small Chroma archive, and retrieve().

The archive is a handful of one-chunk articles embedded with the real MiniLM model (a
second or two). The query "Is bridge KX2291 closed?" is the case hybrid search is for:
dense similarity prefers the passage about a closed bridge, while the only passage that
names bridge KX2291 wins once its rare exact word counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from chains.models import Claim
from chains.pipeline import check_article
from chains.retrieve import retrieve
from settings import Settings
from tests.test_pipeline import TEXT, FakeStore, make_model
from tests.test_pipeline import store as fake_archive
from vectorstore import lexical
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.ingest import article_from_text, chunk_article
from vectorstore.models import Article
from vectorstore.store import ArchiveStore, open_store

QUERY = "Is bridge KX2291 closed?"
ARTICLES = [
    ("Ring road", "Bridge KX2291 carries the ring road over the river north of the town."),
    ("Bridge closed", "The old bridge was closed for repairs on Monday after cracks were found."),
    ("Bridge toll", "Drivers will pay a toll on the new bridge from next year."),
    ("Bridge painted", "Volunteers painted the footbridge by the park a bright blue."),
    ("Bridge opening", "The mayor opened the rebuilt railway bridge to trains in June."),
    ("Library cut", "The city council voted to cut the library budget to close a deficit."),
    ("Pool", "The swimming pool closed early on Sunday because of a heating fault."),
    ("Football", "Harbor United beat Rivertown 3-1 on Saturday in front of 12,000 fans."),
]


def article(title: str, text: str, source: str = "Harbor Gazette") -> Article:
    return article_from_text(text, title=title, source=source)


def new_store(path: Path, emb: MiniLMEmbeddings) -> ArchiveStore:
    store = open_store(Settings(store_dir=path, chroma_host=None), embedding=emb)
    for title, text in ARTICLES:
        a = article(title, text)
        assert store.add_article(a, chunk_article(a, 800))
    return store


@pytest.fixture(scope="module")
def emb() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, emb: MiniLMEmbeddings) -> ArchiveStore:
    return new_store(tmp_path_factory.mktemp("archive") / "store", emb)


def titles(passages) -> list[str]:
    return [p.title for p in passages]


def claim(text: str = QUERY) -> Claim:
    return Claim(id="c1", text=text, quote=text, start=0, end=len(text))


def article_id(title: str) -> str:
    return article(title, dict(ARTICLES)[title]).id


# ------------------------------------------------------------------ the archive's search


def test_hybrid_ranks_the_rare_exact_word_first_where_dense_does_not(store) -> None:
    dense = store.search_hybrid(QUERY, k=3, method="dense")
    assert titles(dense) == titles(store.search(QUERY, k=3))  # dense is the plain search
    assert titles(dense)[0] == "Bridge closed"
    assert titles(store.search_hybrid(QUERY, k=3))[0] == "Ring road"  # hybrid is the default
    assert titles(store.search_hybrid(QUERY, k=3, method="bm25"))[0] == "Ring road"
    assert titles(store.search_hybrid(QUERY, k=3, weight=1.0)) == titles(dense)


def test_score_stays_the_dense_cosine(store) -> None:
    cosine = {p.id: p.score for p in store.search(QUERY, k=store.count())}
    for method in ("hybrid", "bm25"):
        passages = store.search_hybrid(QUERY, k=4, method=method)
        assert passages and all(p.score == pytest.approx(cosine[p.id], abs=1e-5) for p in passages)
    hybrid = store.search_hybrid(QUERY, k=2)
    assert hybrid[0].score < hybrid[1].score  # the order is the fusion's, not the score's
    # The floor applies to the cosine: above Ring road's, below Bridge closed's.
    floor = (hybrid[0].score + hybrid[1].score) / 2
    kept = retrieve(store, claim(), top_k=2, min_score=floor)
    assert titles(kept) == ["Bridge closed"]


def test_filters_apply_to_both_sides(store) -> None:
    ring = article_id("Ring road")
    for method in ("dense", "bm25", "hybrid"):
        found = retrieve(
            store, claim(), top_k=5, min_score=0.0, method=method, exclude_article=ring
        )
        assert found and all(p.article_id != ring for p in found), method
    # BM25's best ("Bridge closed", "Ring road") are filtered out, not just cut from the top.
    only = {"article_id": {"$in": [article_id("Pool"), article_id("Bridge toll")]}}
    # Both share a term with the query ("clos", "bridge"): every match under the filter, best first.
    assert titles(store.search_hybrid(QUERY, k=5, where=only, method="bm25")) == [
        "Pool",
        "Bridge toll",
    ]
    found = store.search_hybrid(QUERY, k=5, where=only)
    assert set(titles(found)) == {"Pool", "Bridge toll"}


def test_bm25_finds_only_matching_chunks_and_empty_queries_find_nothing(store) -> None:
    assert titles(store.search_hybrid("rivertown", k=5, method="bm25")) == ["Football"]
    assert store.search_hybrid("zzzz qqqq", k=5, method="bm25") == []
    assert store.search_hybrid("   ", k=5) == []
    assert store.search_hybrid(QUERY, k=0) == []
    with pytest.raises(ValueError, match="unknown retrieval method"):
        store.search_hybrid(QUERY, k=3, method="sparse")


# ------------------------------------------------------------------------- retrieve()


def test_the_chunks_found_of_one_article_are_read_as_one_passage(tmp_path, emb) -> None:
    # A story stating a claim's two facts in two paragraphs (two chunks),
    # with a paragraph between them on another subject.
    paragraphs = [
        "The council approved a $4.2 million budget for the new branch library on Tuesday.",
        "Residents of the east side had asked for a library for more than a decade.",
        "The school board met on Wednesday to discuss bus routes for the coming year.",
        "Construction of the library will start in May and should take eighteen months.",
    ]
    story = article("Library", "\n\n".join(paragraphs))
    store = open_store(Settings(store_dir=tmp_path / "s", chroma_host=None), embedding=emb)
    chunks = chunk_article(story, 100)  # a chunk a paragraph
    assert len(chunks) >= 3 and store.add_article(story, chunks)
    for title, text in ARTICLES:
        a = article(title, text)
        store.add_article(a, chunk_article(a, 800))
    query = claim(
        "The $4.2 million library approved by the council will take eighteen months to build."
    )
    passages = retrieve(store, query, top_k=4, min_score=0.3)
    ours = [p for p in passages if p.article_id == story.id]
    assert len(ours) == 1 and len({p.article_id for p in passages}) == len(passages)
    text = ours[0].text
    assert "$4.2 million" in text and "eighteen months" in text
    assert text.index("$4.2 million") < text.index("eighteen months")  # the article's order
    if "school board" not in text:  # the paragraph between them was not found
        assert "[\u2026]" in text


def test_joined_chunks_stay_within_the_models_context() -> None:
    from chains.retrieve import MAX_JOINED_CHARS, join_by_article
    from vectorstore.models import Passage

    chunks = [
        Passage(id=f"a:{i * 801}", article_id="a", text="x" * 800, start=i * 801,
                end=i * 801 + 800, score=0.5 + i / 100)
        for i in range(6)
    ]  # fmt: skip
    joined = join_by_article(list(reversed(chunks)))
    assert [len(p.text) <= MAX_JOINED_CHARS for p in joined] == [True, True]
    assert joined[0].id == "a:0" and joined[0].end == chunks[3].end and joined[0].score == 0.53
    assert "[\u2026]" not in joined[0].text  # consecutive chunks


def test_retrieve_passes_the_method_and_falls_back_for_plain_stores() -> None:
    class Recording(FakeStore):
        def search_hybrid(self, query, k, where=None, *, method, weight):
            self.calls.append((method, weight, where))
            return self.passages.get(query, [])[:k]

    archive = Recording({})
    archive.calls = []
    retrieve(archive, claim(), top_k=3, min_score=0.0, method="bm25", weight=0.4)
    retrieve(archive, claim(), top_k=3, min_score=0.0, method="dense")
    assert archive.calls == [("bm25", 0.4, None)] and len(archive.queries) == 1
    plain = FakeStore({})
    retrieve(plain, claim(), top_k=3, min_score=0.0, exclude_article="a1")  # hybrid by default
    assert plain.queries == [(QUERY, {"article_id": {"$ne": "a1"}})]
    with pytest.raises(ValueError, match="unknown retrieval method"):
        retrieve(plain, claim(), top_k=3, min_score=0.0, method="fuzzy")


def test_pipeline_passes_the_settings_through(tmp_path: Path) -> None:
    archive = fake_archive()
    calls = []

    def search_hybrid(query, k, where=None, *, method, weight):
        calls.append((method, weight))
        return archive.search(query, k, where)

    archive.search_hybrid = search_hybrid
    settings = Settings(store_dir=tmp_path, min_score=0.35, retrieval="bm25", hybrid_weight=0.55)
    check_article(article_from_text(TEXT), model=make_model(), store=archive, settings=settings)
    assert calls and set(calls) == {("bm25", 0.55)}


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().retrieval, Settings().hybrid_weight) == ("hybrid", lexical.DEFAULT_WEIGHT)
    monkeypatch.setenv("FACTCHECK_RETRIEVAL", "dense")
    monkeypatch.setenv("FACTCHECK_HYBRID_WEIGHT", "0.5")
    assert (Settings().retrieval, Settings().hybrid_weight) == ("dense", 0.5)
    monkeypatch.setenv("FACTCHECK_RETRIEVAL", "sparse")
    with pytest.raises(ValidationError):
        Settings()


# ---------------------------------------------------------------------- vectorstore.lexical


def test_tokenize_stems_and_drops_stop_words() -> None:
    assert lexical.tokenize("The bridges were FLOODED, flooding it: floods!") == [
        "bridg",
        "flood",
        "flood",
        "flood",
    ]
    assert lexical.tokenize("cities, classes, bus, I") == ["city", "class", "bus"]


def test_fuse_and_pool() -> None:
    dense = np.array([0.9, 0.8, 0.1, 0.2])
    sparse = np.array([0.0, 0.0, 9.0, 0.0])
    assert np.argmax(lexical.fuse(dense, sparse, 1.0)) == 0
    assert np.argmax(lexical.fuse(dense, sparse, 0.0)) == 2
    assert np.allclose(lexical.zscore(np.array([3.0, 3.0])), 0.0)
    assert lexical.pool(dense, sparse, n=1).tolist() == [0, 2]
    assert lexical.pool(dense, np.zeros(4), n=2).tolist() == [0, 1]  # no BM25 match: none
    with pytest.raises(ValueError):
        lexical.fuse(dense, sparse, 1.5)
