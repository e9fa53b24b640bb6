"""Ingest into a real store, on fixture files written here; re-exports of the split modules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settings import Settings
from tests.files import write
from vectorstore import chunking, loaders, web
from vectorstore import ingest as ingest_module
from vectorstore.embeddings import MiniLMEmbeddings
from vectorstore.ingest import article_from_text, ingest
from vectorstore.store import ArchiveStore, open_store

BODY = "The harbour bridge reopened on Monday. Repairs cost 4 million dollars."


# --- re-exports: `from vectorstore.ingest import X` keeps working after the split ------------


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (loaders, "IngestError"),
        (loaders, "LOADERS"),
        (loaders, "article_from_record"),
        (loaders, "article_from_text"),
        (loaders, "load_file"),
        (web, "load_url"),
        (loaders, "normalize_text"),
        (loaders, "parse_date"),
        (loaders, "read_bytes_as_text"),
        (chunking, "chunk_article"),
    ],
)
def test_reexports(module, name: str) -> None:
    assert getattr(ingest_module, name) is getattr(module, name)


# --- ingest into a real store ----------------------------------------------------------------


@pytest.fixture(scope="module")
def emb() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


@pytest.fixture
def store(tmp_path: Path, emb: MiniLMEmbeddings) -> ArchiveStore:
    return open_store(Settings(store_dir=tmp_path / "store", chroma_host=None), embedding=emb)


@pytest.mark.integration
def test_ingest_folder(tmp_path: Path, store: ArchiveStore) -> None:
    root = tmp_path / "archive"
    write(root / "a.txt", f"Bridge reopens\n\n{BODY}")
    write(
        root / "sub" / "b.md",
        "---\ntitle: Flood\npublished: 2023-01-02\n---\nRain flooded the road.",
    )
    write(root / "sub" / "copy.txt", f"Another headline\n\n{BODY}")  # same body: a duplicate
    write(root / "c.json", json.dumps([{"text": "Council met."}, {"text": "Council met."}]))
    write(root / "bad.pdf", b"%PDF-1.4 broken")
    write(root / "notes.xyz", "whatever")
    write(root / ".hidden.txt", "Never read.")
    write(root / ".git" / "x.txt", "Never read either.")
    report = ingest([str(root)], store, chunk_chars=200)
    assert report.added == [str(root / "a.txt"), f"{root / 'c.json'}#1", str(root / "sub" / "b.md")]
    assert report.duplicates == [f"{root / 'c.json'}#2", str(root / "sub" / "copy.txt")]
    assert {r.name: r.reason.split(": ", 1)[1] for r in report.rejected} == {
        str(root / "bad.pdf"): report.rejected[0].reason.split(": ", 1)[1],
        str(root / "notes.xyz"): "unsupported file type .xyz",
    }
    assert "not a readable PDF" in report.rejected[0].reason
    assert report.chunks_added == store.count() == 3
    assert store.stats()["articles"] == 3

    again = ingest([str(root)], store, chunk_chars=200)
    assert again.added == [] and again.chunks_added == 0
    assert len(again.duplicates) == 5 and len(again.rejected) == 2
    assert store.count() == 3


@pytest.mark.integration
def test_a_bad_file_writes_nothing(tmp_path: Path, store: ArchiveStore) -> None:
    mixed = write(
        tmp_path / "mixed.jsonl", '{"text": "First story is fine."}\n{"title": "no text"}\n'
    )
    long = write(tmp_path / "long.txt", "A sentence. " * 100)
    missing = tmp_path / "missing.txt"
    report = ingest(
        [str(mixed), str(long), str(missing)], store, chunk_chars=200, max_article_chars=500
    )
    reasons = [r.reason for r in report.rejected]
    assert "#2: no text field" in reasons[0]
    assert "too long" in reasons[1] and "no such file" in reasons[2]
    assert report.added == [] and store.count() == 0
    assert not store.has_article(article_from_text("First story is fine.").id)


@pytest.mark.integration
def test_hostile_files_are_rejected_and_the_rest_of_the_folder_goes_in(
    tmp_path: Path, store: ArchiveStore
) -> None:
    from tests.test_documents import blank_pdf, word_file
    from tests.test_loaders import alias_bomb

    first = ingest([str(write(tmp_path / "old.txt", f"Old story\n\n{BODY}"))], store,
                   chunk_chars=200)  # fmt: skip
    before = store.stats()
    root = tmp_path / "drop"
    write(root / "a-bomb.md", alias_bomb())
    write(root / "b-bomb.docx", word_file({"word/media/filler.bin": bytes(40_000_000)}))
    write(root / "c-pages.pdf", blank_pdf(1_001))
    write(root / "d-good.txt", "Flood\n\nRain flooded the coast road on Tuesday.")
    report = ingest([str(root)], store, chunk_chars=200)
    assert first.added and report.added == [str(root / "d-good.txt")]
    reasons = {Path(r.name).name: r.reason for r in report.rejected}
    assert "YAML alias" in reasons["a-bomb.md"]
    assert "compressed" in reasons["b-bomb.docx"] and "limit 100 to 1" in reasons["b-bomb.docx"]
    assert "1,001 pages; limit 1,000" in reasons["c-pages.pdf"]
    after = store.stats()
    assert (after["articles"], store.count()) == (before["articles"] + 1, before["chunks"] + 1)
