"""The archive: offline embeddings, the Chroma store, loaders and chunking."""
