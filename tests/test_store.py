"""ArchiveStore on a real Chroma (embedded, and a local server) with the real embeddings."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from settings import PROJECT_ROOT, Settings
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.ingest import article_from_text, chunk_article
from vectorstore.lexical_sync import sync
from vectorstore.models import Article
from vectorstore.store import ArchiveStore, open_store

pytestmark = pytest.mark.integration

BUDGET = article_from_text(
    "The city council voted on Tuesday to cut the library budget by 12 percent. "
    "Mayor Jane Doe said the cut was needed to close a deficit.\n\n"
    "Three branch libraries will shorten their opening hours from April.",
    title="Council cuts library budget",
    source="Harbor Gazette",
    published="2024-03-05",
    url="https://example.org/budget",
    author="Dana Ortiz",
)
FOOTBALL = article_from_text(
    "Harbor United beat Rivertown 3-1 on Saturday. The striker scored twice in the "
    "second half and the crowd of 12,000 cheered the first home win of the season.",
    title="United win at home",
    source="Harbor Sport",
    published="2023-10-14",
)
FLOOD = article_from_text(
    "Heavy rain flooded the valley road overnight. Firefighters pumped water from "
    "forty homes and the road stayed closed until Thursday.",
    title="Valley road flooded",
    source="Harbor Gazette",
)  # no date, no url


@pytest.fixture(scope="module")
def emb() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


def settings_for(path: Path, **kw) -> Settings:
    kw.setdefault("chroma_host", None)  # never a server from the environment by accident
    kw.setdefault("lexical_dir", None)
    return Settings(store_dir=path, **kw)


def fill(store: ArchiveStore, *articles: Article, chunk_chars: int = 120) -> None:
    for article in articles:
        assert store.add_article(article, chunk_article(article, chunk_chars))


@pytest.fixture
def store(tmp_path: Path, emb: MiniLMEmbeddings) -> ArchiveStore:
    s = open_store(settings_for(tmp_path / "store"), embedding=emb)
    fill(s, BUDGET, FOOTBALL, FLOOD)
    return s


def test_embedded_client_by_default(tmp_path: Path, emb: MiniLMEmbeddings) -> None:
    s = open_store(settings_for(tmp_path / "new" / "store"), embedding=emb)
    assert s.client.get_settings().is_persistent
    assert (tmp_path / "new" / "store").is_dir()
    assert s.client.get_settings().anonymized_telemetry is False
    assert s.search("anything", k=3) == []
    assert s.stats()["articles"] == 0


def test_add_is_idempotent_and_metadata_is_complete(store: ArchiveStore) -> None:
    chunks = store.count()
    assert store.add_article(BUDGET, chunk_article(BUDGET, 120)) is False
    assert store.count() == chunks
    got = store.collection.get(where={"article_id": BUDGET.id}, include=["metadatas"])
    meta = got["metadatas"][0]
    assert meta["published"] == "2024-03-05" and meta["year"] == 2024
    assert meta["url"] == "https://example.org/budget" and meta["author"] == "Dana Ortiz"
    assert meta["article_sha256"] == BUDGET.sha256
    assert all(
        cid == f"{BUDGET.id}:{m['start']}"
        for cid, m in zip(got["ids"], got["metadatas"], strict=True)
    )
    flood = store.collection.get(where={"article_id": FLOOD.id}, include=["metadatas"])
    assert "url" not in flood["metadatas"][0] and "published" not in flood["metadatas"][0]
    assert flood["metadatas"][0]["author"] == ""  # a string, never None: Chroma refuses None


def test_search_finds_the_relevant_article_first(store: ArchiveStore) -> None:
    hits = store.search("How much was cut from the library budget?", k=3)
    assert hits[0].article_id == BUDGET.id
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert hits[0].published == dt.date(2024, 3, 5) and hits[0].title == BUDGET.title
    assert hits[0].author == "Dana Ortiz"
    assert BUDGET.text[hits[0].start : hits[0].end] == hits[0].text
    flood = store.search("flooded road", k=1)[0]
    assert flood.article_id == FLOOD.id and flood.published is None and flood.url is None
    assert flood.author == ""


def test_search_filters_and_large_k(store: ArchiveStore) -> None:
    hits = store.search("library budget", k=50, where={"source": "Harbor Sport"})
    assert hits and {h.article_id for h in hits} == {FOOTBALL.id}
    assert len(store.search("library budget", k=50)) == store.count()
    before_2024 = store.search("library", k=10, where={"published_day": {"$lt": 20240101}})
    assert {h.article_id for h in before_2024} == {FOOTBALL.id}


def test_article_passages_in_offset_order(store: ArchiveStore) -> None:
    passages = store.get_article_passages(BUDGET.id)
    assert len(passages) > 1
    assert [p.start for p in passages] == sorted(p.start for p in passages)
    assert all(BUDGET.text[p.start : p.end] == p.text for p in passages)
    assert passages == chunk_article(BUDGET, 120)


def test_stats_and_listing(store: ArchiveStore) -> None:
    stats = store.stats()
    assert stats["articles"] == 3
    assert stats["chunks"] == store.count()
    assert stats["sources"] == {"Harbor Gazette": 2, "Harbor Sport": 1}
    assert stats["years"] == {2023: 1, 2024: 1}
    assert (stats["first_published"], stats["last_published"]) == ("2023-10-14", "2024-03-05")
    listing = store.list_articles()
    assert [a["title"] for a in listing] == [BUDGET.title, FOOTBALL.title, FLOOD.title]
    assert listing[0]["chunks"] == len(chunk_article(BUDGET, 120))
    assert (listing[0]["author"], listing[2]["author"]) == ("Dana Ortiz", "")
    assert listing[2]["published"] is None and listing[2]["url"] is None


def test_delete_article(store: ArchiveStore) -> None:
    n = len(chunk_article(FOOTBALL, 120))
    assert store.delete_article(FOOTBALL.id) == n
    assert not store.has_article(FOOTBALL.id)
    assert store.delete_article(FOOTBALL.id) == 0
    assert store.stats()["articles"] == 2


def test_reopened_store_keeps_everything(tmp_path: Path, emb: MiniLMEmbeddings) -> None:
    fill(open_store(settings_for(tmp_path / "s"), embedding=emb), FLOOD)
    again = open_store(settings_for(tmp_path / "s"))  # its own embeddings instance
    assert again.has_article(FLOOD.id)
    assert again.search("water in homes", k=1)[0].article_id == FLOOD.id


def bm25_articles(store: ArchiveStore, query: str) -> list[str]:
    """Articles of the BM25 hits, best first, each once."""
    return list(
        dict.fromkeys(p.article_id for p in store.search_hybrid(query, k=20, method="bm25"))
    )


TRAM = article_from_text(
    "The tram depot flooded after the storm on Monday night. Engineers drained the pits "
    "by Friday and the first trams left the depot again on Saturday morning.",
    title="Tram depot flooded",
    source="Harbor Gazette",
)


def test_lexical_index_follows_adds_and_deletes(store: ArchiveStore) -> None:
    assert store.lexical.count() == store.count()
    assert bm25_articles(store, "striker scored twice") == [FOOTBALL.id]
    before = store.fingerprint()
    n_football = len(chunk_article(FOOTBALL, 120))
    # One article out, another of the same chunk count in: nothing of the first remains.
    tram_chunks = chunk_article(TRAM, 120)
    assert len(tram_chunks) == n_football
    assert store.delete_article(FOOTBALL.id) == n_football
    deleted = store.fingerprint()
    assert store.add_article(TRAM, tram_chunks)
    assert store.count() == store.lexical.count()
    assert bm25_articles(store, "striker scored twice Rivertown") == []
    assert bm25_articles(store, "tram depot drained")[0] == TRAM.id
    assert {p.article_id for p in store.search_hybrid("Rivertown striker", k=20)} <= {
        BUDGET.id,
        FLOOD.id,
        TRAM.id,
    }
    assert len({before, deleted, store.fingerprint()}) == 3  # same count, other contents


def test_fingerprint_changes_on_every_add_and_delete(store: ArchiveStore) -> None:
    seen = [store.fingerprint()]
    assert isinstance(seen[0], str) and seen[0] == store.fingerprint()  # stable when unchanged
    assert store.add_article(TRAM, chunk_article(TRAM, 120))
    seen.append(store.fingerprint())
    store.delete_article(FLOOD.id)
    seen.append(store.fingerprint())
    store.delete_article(TRAM.id)
    seen.append(store.fingerprint())
    assert len(set(seen)) == 4


def test_batch_commits_the_index_once_at_the_end(store: ArchiveStore) -> None:
    fingerprint = store.fingerprint()
    with store.batch():
        assert store.add_article(TRAM, chunk_article(TRAM, 120))
        assert store.count() == store.lexical.count()  # held back: one upsert for many
        assert not store.add_article(TRAM, chunk_article(TRAM, 120))  # held is stored
        assert store.fingerprint() == fingerprint
        assert store.delete_article(TRAM.id) == 2  # flushes first: nothing comes back
        assert store.add_article(TRAM, chunk_article(TRAM, 120))
    assert store.count() == store.lexical.count()
    assert bm25_articles(store, "tram depot")[0] == TRAM.id
    with pytest.raises(RuntimeError), store.batch():
        store.delete_article(TRAM.id)
        raise RuntimeError("a failure inside the block")
    assert store.count() == store.lexical.count() and bm25_articles(store, "tram depot") == []


REOPEN = """
import json, sys
from pathlib import Path
from settings import Settings
from vectorstore.store import open_store
store = open_store(Settings(store_dir=Path(sys.argv[1]), chroma_host=None, lexical_dir=None))
hits = store.search_hybrid(sys.argv[2], k=5, method="bm25")
print(json.dumps({"sync": store.lexical_sync, "hits": list(dict.fromkeys(p.article_id for p in hits)),
                  "fingerprint": store.fingerprint()}))
"""


def reopen_elsewhere(path: Path, query: str) -> dict:
    """Open the store in a new process (nothing shared in memory) and search it."""
    out = subprocess.run(
        [sys.executable, "-c", REOPEN, str(path), query],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_index_persists_and_an_old_store_gets_it_built_once(
    tmp_path: Path, emb: MiniLMEmbeddings
) -> None:
    path = tmp_path / "s"
    s = open_store(settings_for(path), embedding=emb)
    fill(s, BUDGET, FLOOD)
    chunks, fingerprint = s.count(), s.fingerprint()
    again = reopen_elsewhere(path, "valley road flooded")
    assert again["sync"]["added"] == 0 and again["sync"]["indexed"] == chunks  # kept on disk
    assert again["hits"] == [FLOOD.id] and again["fingerprint"] == fingerprint
    # A store made before the index existed: no index folder; built once, at the next open.
    shutil.rmtree(path / "lexical")
    built = reopen_elsewhere(path, "library budget")
    assert built["sync"]["added"] == chunks and built["hits"][0] == BUDGET.id
    assert built["fingerprint"] == fingerprint
    assert reopen_elsewhere(path, "library budget")["sync"]["added"] == 0


def test_an_index_out_of_step_is_repaired_at_open(tmp_path: Path, emb: MiniLMEmbeddings) -> None:
    path = tmp_path / "s"
    s = open_store(settings_for(path), embedding=emb)
    fill(s, BUDGET, FLOOD)
    # As a crash between the two writes, or a writer on another host, would leave it:
    # chunks the index holds but Chroma not, then chunks Chroma holds but the index not.
    s.collection.delete(where={"article_id": FLOOD.id})
    repaired = reopen_elsewhere(path, "valley road flooded")
    assert repaired["sync"]["deleted"] == len(chunk_article(FLOOD, 120))
    assert repaired["hits"] == []
    fill(ArchiveStore(s.client, s.collection_name, emb), TRAM)  # its index in memory only
    repaired = reopen_elsewhere(path, "flooded tram depot")
    assert repaired["sync"]["added"] == len(chunk_article(TRAM, 120))
    assert repaired["hits"] == [TRAM.id]


def test_a_full_sync_finds_a_swap_of_equal_chunk_counts(
    tmp_path: Path, emb: MiniLMEmbeddings
) -> None:
    s = open_store(settings_for(tmp_path / "s"), embedding=emb)
    fill(s, BUDGET, FOOTBALL)
    s.collection.delete(where={"article_id": FOOTBALL.id})  # behind the index's back
    fill(ArchiveStore(s.client, s.collection_name, emb), TRAM)  # as many chunks
    assert sync(s.collection, s.lexical)["added"] == 0  # equal counts: taken as in step
    report = sync(s.collection, s.lexical, full=True)
    assert (report["added"], report["deleted"]) == (2, 2)
    assert bm25_articles(s, "striker Rivertown tram depot") == [TRAM.id]
    assert s.lexical.ids() == set(s.collection.get(include=[])["ids"])


def test_langchain_view_shares_collection(store: ArchiveStore) -> None:
    lc = store.as_langchain()
    docs = lc.similarity_search_with_relevance_scores("library budget cut", k=2)
    assert docs[0][0].metadata["article_id"] == BUDGET.id
    assert 0.0 < docs[0][1] <= 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real `chroma run` on the loopback address, stopped after the test."""
    exe = shutil.which("chroma") or str(Path(__import__("sys").executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the chroma server command is not installed")
    port = _free_port()
    cmd = [exe, "run", "--path", str(tmp_path / "srv"), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.skip("chroma server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_http_client_when_host_is_set(
    tmp_path: Path, emb: MiniLMEmbeddings, chroma_server: int
) -> None:
    settings = settings_for(
        tmp_path / "unused",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
        cache_dir=tmp_path / "cache",
    )
    s = open_store(settings, embedding=emb)
    assert not s.client.get_settings().is_persistent
    assert "fastapi" in s.client.get_settings().chroma_api_impl.lower()
    assert not (tmp_path / "unused").exists()
    fill(s, FLOOD)
    assert s.search("flood", k=1)[0].article_id == FLOOD.id
    # The lexical index is local to this host, in the cache unless lexical_dir says otherwise.
    assert s.lexical.path and s.lexical.path.is_relative_to(settings.cache_dir / "lexical")
    assert bm25_articles(s, "valley road flooded") == [FLOOD.id]
    shared = settings.model_copy(update={"lexical_dir": tmp_path / "lex"})
    other = open_store(shared, embedding=emb)  # a fresh index: built from the server once
    assert other.lexical_sync["added"] == s.count() and other.lexical.path.is_relative_to(
        tmp_path / "lex"
    )
    assert bm25_articles(other, "valley road flooded") == [FLOOD.id]
