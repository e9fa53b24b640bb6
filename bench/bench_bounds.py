"""Hostile inputs against the input bounds: time and peak memory to refuse each.

Builds, in a temporary folder, the inputs of issue 12's targets: a Markdown file with a
YAML alias bomb (and one two levels deeper), a ~10 MB .docx whose parts unpack past 1 GB,
and a 10,000-page PDF. Each is loaded in a fresh process with the default limits; the
figures are that process's wall time for the load and its peak RSS (imports included).
Then all of them go through `ingest` into a real store beside a good file, and the store's
counts are compared before and after. Prints one JSON object.

    .venv/bin/python bench/bench_bounds.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _util import ROOT, emit, load_avg, log, machine


def alias_bomb(levels: int) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"[: levels + 1]
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + f"\ntitle: *{names[-1]}\n---\nThe bridge reopened.\n"


def zip_bomb_docx(path: Path, unpacked: int = 1_100_000_000, noise: int = 9_000_000) -> None:
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("The harbour bridge reopened on Monday.")
    document.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/media/photo.bin", os.urandom(noise))  # makes the file ~10 MB
        zeros = bytes(1 << 20)
        with dst.open("word/media/filler.bin", "w", force_zip64=True) as out:
            for _ in range(unpacked // len(zeros) + 1):
                out.write(zeros)


def many_page_pdf(path: Path, pages: int = 10_000) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    with path.open("wb") as f:
        writer.write(f)


def _peak_rss_mb() -> float:
    """This process's peak RSS. /proc's VmHWM starts afresh at exec, where ru_maxrss may
    carry the figure of the process that forked it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(path: str) -> None:
    """Load one file with the default limits; print what happened, its time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from vectorstore.loaders import IngestError, load_file

    started = time.perf_counter()
    try:
        articles = load_file(Path(path))
        outcome = {"refused": False, "title_chars": len(articles[0].title)}
    except IngestError as e:
        outcome = {"refused": True, "message": str(e).replace(path, Path(path).name)}
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    outcome["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(outcome))


def archive_unchanged(folder: Path, good: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from settings import Settings
    from vectorstore.ingest import ingest
    from vectorstore.store import open_store

    store = open_store(Settings(store_dir=folder / "store", chroma_host=None))
    first = ingest([str(good)], store, chunk_chars=800)
    before = store.stats()
    report = ingest([str(folder / "inputs")], store, chunk_chars=800)
    after = store.stats()
    keys = ("articles", "chunks")
    return {
        "added_first": len(first.added),
        "rejected": len(report.rejected),
        "duplicates": len(report.duplicates),
        "added": len(report.added),
        "before": {k: before[k] for k in keys},
        "after": {k: after[k] for k in keys},
        "unchanged": all(before[k] == after[k] for k in keys),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    result: dict = {"machine": machine(), "load_avg_start": load_avg(), "inputs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "inputs"
        inputs.mkdir()
        log("building the hostile inputs")
        (inputs / "alias-bomb.md").write_text(alias_bomb(5))
        (inputs / "alias-bomb-deeper.md").write_text(alias_bomb(7))
        zip_bomb_docx(inputs / "zip-bomb.docx")
        many_page_pdf(inputs / "pages-10000.pdf")
        good = Path(tmp) / "good.txt"
        good.write_text("Bridge reopens\n\nThe harbour bridge reopened on Monday.\n")
        for path in sorted(inputs.iterdir()):
            log(f"loading {path.name}")
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            figures = {"bytes": path.stat().st_size}
            if path.suffix == ".docx":
                with zipfile.ZipFile(path) as zf:
                    figures["unpacked_bytes"] = sum(i.file_size for i in zf.infolist())
            result["inputs"][path.name] = figures | json.loads(out.stdout)
        log("ingesting them beside a good file into a real store")
        result["archive"] = archive_unchanged(Path(tmp), good)
    result["load_avg_end"] = load_avg()
    emit(result)


if __name__ == "__main__":
    main()
