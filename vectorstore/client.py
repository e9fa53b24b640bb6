"""Where the archive lives: the Chroma client and the lexical index's folder, from settings."""

from __future__ import annotations

from pathlib import Path

import chromadb
import chromadb.config
from chromadb.api import ClientAPI

from settings import Settings


def make_client(settings: Settings) -> ClientAPI:
    """HttpClient when a Chroma server is configured, else an embedded store in a folder."""
    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)


def lexical_root(settings: Settings) -> Path:
    """The folder of the lexical indexes (one subfolder per Chroma collection id).

    ``lexical_dir`` when set; else inside the store folder; with a Chroma server, a folder
    of this host's cache named after the server, so the app processes of one host share
    one index (each host keeps its own; see the README).
    """
    if settings.lexical_dir is not None:
        return settings.lexical_dir
    if settings.chroma_host:
        return settings.cache_dir / "lexical" / f"{settings.chroma_host}-{settings.chroma_port}"
    return settings.store_dir / "lexical"
