"""The embedded model's file: join, verify and the marker, on small fake parts."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from chains import model_file
from chains.model_file import (
    MODEL_SIZE,
    ModelFileError,
    ensure_file,
    ensure_model,
    find_part_files,
    is_trusted,
    join_parts,
    marker_path,
    model_path,
    verify_file,
)

CONTENTS = [b"GGUF-part-one|", b"second part, longer than the first|", b"", b"end"]


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "parts"
    folder.mkdir()
    paths = []
    for n, data in enumerate(CONTENTS, start=1):
        path = folder / f"part{n:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture
def expected() -> tuple[int, str]:
    whole = b"".join(CONTENTS)
    return len(whole), hashlib.sha256(whole).hexdigest()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models" / "model.gguf"


def _no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(path: Path) -> str:
        raise AssertionError(f"hashed {path} although the marker vouches for it")

    monkeypatch.setattr(model_file, "file_sha256", fail)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".tmp")))


def test_join_parts_writes_the_concatenation_and_a_marker(parts, dest, expected):
    size, sha = expected
    assert join_parts(parts, dest, size, sha) == dest
    assert dest.read_bytes() == b"".join(CONTENTS)
    record = json.loads(marker_path(dest).read_text())
    assert record == {"size": size, "mtime_ns": dest.stat().st_mtime_ns, "sha256": sha}
    assert is_trusted(dest, size, sha)
    assert _leftovers(dest.parent) == []


def test_join_parts_keeps_the_order(parts, dest, expected):
    size, sha = expected
    with pytest.raises(ModelFileError, match="sha256"):
        join_parts(list(reversed(parts)), dest, size, sha)
    assert not dest.exists()


def test_corrupted_part_is_rejected_and_leaves_nothing(parts, dest, expected):
    size, sha = expected
    data = bytearray(parts[1].read_bytes())
    data[3] ^= 0xFF  # same size, different content
    parts[1].write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt"):
        join_parts(parts, dest, size, sha)
    assert not dest.exists()
    assert not marker_path(dest).exists()
    assert _leftovers(dest.parent) == []


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda ps: ps[0].write_bytes(b"short"), "add up to"),
        (lambda ps: ps[2].unlink(), "missing"),
    ],
    ids=["wrong-size-part", "missing-part-file"],
)
def test_bad_parts_fail_before_writing(parts, dest, expected, mutate, message):
    size, sha = expected
    mutate(parts)
    with pytest.raises(ModelFileError, match=message):
        join_parts(parts, dest, size, sha)
    assert not dest.exists()


def test_trusted_file_is_not_hashed_again(parts, dest, expected, monkeypatch):
    size, sha = expected
    join_parts(parts, dest, size, sha)
    _no_hashing(monkeypatch)

    def no_parts() -> list[Path]:
        raise AssertionError("asked for the parts although the file is verified")

    assert ensure_file(no_parts, dest, size, sha) == dest


def test_changed_mtime_makes_it_verify_again_without_rejoining(parts, dest, expected):
    size, sha = expected
    join_parts(parts, dest, size, sha)
    st = dest.stat()
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert not is_trusted(dest, size, sha)

    def no_parts() -> list[Path]:
        raise AssertionError("re-joined a file whose content is right")

    assert ensure_file(no_parts, dest, size, sha) == dest
    assert is_trusted(dest, size, sha)  # marker renewed with the new mtime


def test_tampered_file_with_matching_size_is_joined_again(parts, dest, expected):
    size, sha = expected
    join_parts(parts, dest, size, sha)
    dest.write_bytes(b"X" * size)  # same size, new mtime, wrong content
    assert not is_trusted(dest, size, sha)
    assert ensure_file(lambda: parts, dest, size, sha) == dest
    assert dest.read_bytes() == b"".join(CONTENTS)
    assert is_trusted(dest, size, sha)


def test_tampered_file_with_restored_mtime_is_trusted_by_design(parts, dest, expected):
    """The marker is a cache of a verification keyed on size and mtime, nothing more."""
    size, sha = expected
    join_parts(parts, dest, size, sha)
    st = dest.stat()
    dest.write_bytes(b"X" * size)
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert is_trusted(dest, size, sha)
    assert not verify_file(dest, size, sha)


@pytest.mark.parametrize(
    "marker_text",
    ["", "not json", "[]", '{"size": 1}', None],
    ids=["empty", "garbage", "list", "incomplete", "absent"],
)
def test_unusable_marker_means_untrusted(parts, dest, expected, marker_text):
    size, sha = expected
    join_parts(parts, dest, size, sha)
    if marker_text is None:
        marker_path(dest).unlink()
    else:
        marker_path(dest).write_text(marker_text)
    assert not is_trusted(dest, size, sha)
    assert ensure_file(lambda: [], dest, size, sha) == dest  # verified, not joined
    assert is_trusted(dest, size, sha)


def test_marker_for_another_hash_is_not_trusted(parts, dest, expected):
    size, sha = expected
    join_parts(parts, dest, size, sha)
    assert not is_trusted(dest, size, "0" * 64)
    assert not is_trusted(dest, size + 1, sha)


def test_missing_file_is_joined_and_stale_temp_files_are_removed(parts, dest, expected):
    size, sha = expected
    dest.parent.mkdir(parents=True)
    stale = dest.with_name(f"{dest.name}.abc123.part")
    stale.write_bytes(b"half a join from a killed process")
    assert ensure_file(lambda: parts, dest, size, sha) == dest
    assert not stale.exists()
    assert dest.read_bytes() == b"".join(CONTENTS)


def test_missing_part_package_names_the_fix():
    with pytest.raises(ModelFileError, match=r"factcheck-no-such-part1 .*scripts/setup\.sh"):
        find_part_files(prefix="factcheck_no_such_part", count=2)


def test_model_path_prefers_an_existing_configured_file(tmp_path):
    from settings import Settings

    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert model_path(Settings(model_path=gguf, cache_dir=tmp_path)) == gguf
    with pytest.raises(ModelFileError, match="FACTCHECK_MODEL_PATH"):
        model_path(Settings(model_path=tmp_path / "absent.gguf", cache_dir=tmp_path))


@pytest.mark.integration
def test_ensure_model_on_the_installed_parts():
    from settings import Settings

    parts = find_part_files()
    assert len(parts) == 22
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, 23)]
    path = ensure_model(Settings().cache_dir)  # the shared cache: setup.sh has joined it
    assert path.stat().st_size == MODEL_SIZE
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
