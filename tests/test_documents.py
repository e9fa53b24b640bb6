"""PDF and Word files read within bounds, on real hostile files the tests build."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PageObject, PdfWriter

from tests.files import write
from vectorstore.articles import IngestError
from vectorstore.limits import InputLimits
from vectorstore.loaders import load_file


def word_file(extra: dict[str, bytes] | None = None) -> bytes:
    """A real .docx (python-docx), with more parts added to its zip when asked."""
    document = docx.Document()
    document.add_paragraph("The harbour bridge reopened on Monday.")
    buffer = io.BytesIO()
    document.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for name, data in (extra or {}).items():
            dst.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def test_a_plain_word_file_is_read(tmp_path: Path) -> None:
    [a] = load_file(write(tmp_path / "a.docx", word_file()))
    assert a.text == "The harbour bridge reopened on Monday."


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    data = word_file({"word/media/filler.bin": bytes(40_000_000)})
    assert len(data) < 200_000  # 40 MB of zeros pack to some 40 KB
    with pytest.raises(IngestError, match=r"bomb\.docx: compressed [\d,]+ to 1; limit 100 to 1"):
        load_file(write(tmp_path / "bomb.docx", data))


def test_a_zip_over_its_unpacked_size_is_refused(tmp_path: Path) -> None:
    # Incompressible bytes: the ratio is fine, the total is not.
    data = word_file({"word/media/photo.bin": os.urandom(3_000_000)})
    limits = InputLimits(max_zip_bytes=2_000_000)
    with pytest.raises(IngestError, match=r"big\.docx: unpacks to [\d,]+ bytes; limit 2,000,000"):
        load_file(write(tmp_path / "big.docx", data), limits=limits)
    assert load_file(write(tmp_path / "ok.docx", data))  # within the default


def test_a_zip_of_too_many_parts_is_refused(tmp_path: Path) -> None:
    data = word_file({f"word/media/{n}.bin": b"x" for n in range(30)})
    with pytest.raises(IngestError, match=r"many\.docx: holds \d+ parts; limit 20"):
        load_file(write(tmp_path / "many.docx", data), limits=InputLimits(max_zip_members=20))


def test_long_word_text_stops_being_read(tmp_path: Path) -> None:
    document = docx.Document()
    for _ in range(100):
        document.add_paragraph("word " * 50)
    document.save(tmp_path / "long.docx")
    with pytest.raises(IngestError, match=r"long\.docx: article too long \(over 1,000 characters"):
        load_file(tmp_path / "long.docx", limits=InputLimits(max_article_chars=1_000))


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_of_too_many_pages_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "pages.pdf", blank_pdf(1_001))
    with pytest.raises(IngestError, match=r"pages\.pdf: the PDF has 1,001 pages; limit 1,000"):
        load_file(path)


def text_pdf(pages: list[str]) -> bytes:
    """A PDF with extractable text on each page, built by hand (one font, one line a page)."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def test_pdf_text_stops_being_read_once_over_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    real = PageObject.extract_text

    def counted(self: PageObject, *args, **kwargs) -> str:
        read.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", counted)
    path = write(tmp_path / "long.pdf", text_pdf(["word " * 100] * 50))  # 500 chars a page
    limits = InputLimits(max_article_chars=1_000)
    with pytest.raises(IngestError, match=r"long\.pdf: article too long \(over 1,000 characters"):
        load_file(path, limits=limits)
    assert len(read) <= 5  # of 50 pages: reading stopped at twice the limit
    read.clear()
    [a] = load_file(write(tmp_path / "short.pdf", text_pdf(["Bridge reopens."] * 3)))
    assert a.text.count("Bridge reopens.") == 3 and len(read) == 3


def test_one_page_of_too_much_text_is_cut_short(tmp_path: Path) -> None:
    path = write(tmp_path / "page.pdf", text_pdf(["word " * 2_000]))
    with pytest.raises(IngestError, match=r"page\.pdf: article too long \(over 1,000 characters"):
        load_file(path, limits=InputLimits(max_article_chars=1_000))
