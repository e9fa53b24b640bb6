"""The real int8 MiniLM model: vectors, padding, Chroma and LangChain protocols, integrity."""

from __future__ import annotations

import subprocess
import sys
import warnings

import chromadb
import chromadb.config
import numpy as np
import pytest
from chromadb.utils.embedding_functions import known_embedding_functions
from langchain_core.embeddings import Embeddings

from vectorstore import embeddings as emb_module
from vectorstore.embeddings import DIMENSIONS, MiniLMEmbeddings, ModelIntegrityError

pytestmark = pytest.mark.integration

TEXTS = [
    "The city council approved a new budget on Tuesday.",
    "Quarterly profits at the media group jumped 76% to $1.13bn in the three months to "
    "December, helped by sales of high-speed internet connections and higher advert sales.",
    "Goal!",
]


@pytest.fixture(scope="module")
def emb() -> MiniLMEmbeddings:
    return MiniLMEmbeddings(threads=2, batch_size=2)


def test_import_and_construction_load_nothing() -> None:
    code = (
        "import sys, vectorstore.embeddings as e; m = e.MiniLMEmbeddings(); "
        "print('onnxruntime' in sys.modules, m._session is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_vectors_are_unit_length_in_input_order(emb: MiniLMEmbeddings) -> None:
    batch = emb.encode(TEXTS)
    assert batch.shape == (3, DIMENSIONS) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    # batch_size=2 and length-sorted batching must not reorder anything
    one_by_one = np.stack([emb.encode([t])[0] for t in TEXTS])
    assert np.all((batch * one_by_one).sum(axis=1) > 0.999)
    assert emb.encode([]).shape == (0, DIMENSIONS)


def test_padding_to_longest_matches_padding_to_256(emb: MiniLMEmbeddings) -> None:
    padded = MiniLMEmbeddings(pad_to_longest=False, batch_size=8)
    cosines = (emb.encode(TEXTS) * padded.encode(TEXTS)).sum(axis=1)
    assert np.all(cosines > 0.999), cosines


def test_truncates_at_256_tokens(emb: MiniLMEmbeddings) -> None:
    prefix = "word " * 300
    a, b = emb.encode([prefix + "apples and pears", prefix + "an entirely different ending"])
    assert float(a @ b) > 0.9999


def test_meaning_is_captured(emb: MiniLMEmbeddings) -> None:
    query, para, other = emb.encode(
        [
            "How much did the council cut from the library budget?",
            "Councillors voted to reduce library funding by 12 percent.",
            "The striker scored twice in the second half.",
        ]
    )
    assert float(query @ para) > float(query @ other) + 0.2


def test_chroma_protocol(emb: MiniLMEmbeddings) -> None:
    assert not emb.is_legacy()
    assert known_embedding_functions[MiniLMEmbeddings.name()] is MiniLMEmbeddings
    rebuilt = MiniLMEmbeddings.build_from_config(emb.get_config())
    assert rebuilt.get_config() == emb.get_config()
    assert emb.default_space() == "cosine"
    vectors = emb(["one", "two"])
    assert len(vectors) == 2 and len(vectors[0]) == DIMENSIONS
    assert len(emb.embed_query(["one"])) == 1  # Chroma's query form: a list in, vectors out


def test_chroma_reopens_collection_with_our_function(tmp_path, emb: MiniLMEmbeddings) -> None:
    settings = chromadb.config.Settings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(path=str(tmp_path), settings=settings)
    col = client.create_collection("news", embedding_function=emb)
    col.add(ids=["a", "b"], documents=["The mayor resigned.", "Rain flooded the valley."])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no legacy / fallback-to-default warnings
        again = client.get_collection("news")  # no function passed: rebuilt from the config
        found = again.query(query_texts=["flood waters"], n_results=1)
    assert found["ids"][0] == ["b"]
    assert again.configuration["embedding_function"].name() == MiniLMEmbeddings.name()


def test_langchain_protocol(emb: MiniLMEmbeddings) -> None:
    assert isinstance(emb, Embeddings)
    docs = emb.embed_documents(["alpha", "beta"])
    assert len(docs) == 2 and isinstance(docs[0][0], float) and len(docs[0]) == DIMENSIONS
    query = emb.embed_query("alpha")
    assert isinstance(query, list) and isinstance(query[0], float)
    assert np.dot(query, docs[0]) > 0.999
    assert emb.embed_documents([]) == []


def test_module_encode_for_benchmarks() -> None:
    assert emb_module.encode(["hello world"]).shape == (1, DIMENSIONS)


def test_wrong_model_file_is_refused(tmp_path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        MiniLMEmbeddings(model_path=fake).encode(["x"])
    with pytest.raises(ModelIntegrityError, match="not found"):
        MiniLMEmbeddings(model_path=tmp_path / "missing.onnx").encode(["x"])
