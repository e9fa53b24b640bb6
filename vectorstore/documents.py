"""PDF and Word (.docx) files, read within bounds: pages, unpacked size and text length.

Both formats are containers whose content can be far larger than the file (a zip bomb, a
PDF of ten thousand pages), so each is measured before it is read and its text is counted
while it is extracted; reading stops as soon as a limit is passed.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

from vectorstore.articles import DEFAULT_LIMITS, IngestError, article_from_text, too_long
from vectorstore.limits import ZIP_RATIO_FLOOR, InputLimits
from vectorstore.models import Article


class _TooMuchText(Exception):
    """Raised from inside pypdf's text visitor to stop extracting."""


def check_zip(data: bytes, name: str, limits: InputLimits = DEFAULT_LIMITS) -> None:
    """Refuse a zip container (docx, ...) whose parts unpack too large or too well.

    The sizes come from the zip's directory; Python's zipfile stops a part at its declared
    size (and fails its CRC), so a part cannot unpack past what is checked here.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise IngestError(f"{name}: not a readable zip container ({e})") from e
    if len(infos) > limits.max_zip_members:
        raise IngestError(f"{name}: holds {len(infos):,} parts; limit {limits.max_zip_members:,}")
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if unpacked > limits.max_zip_bytes:
        raise IngestError(f"{name}: unpacks to {unpacked:,} bytes; limit "
                          f"{limits.max_zip_bytes:,} (a compressed bomb?)")  # fmt: skip
    ratio = unpacked / max(packed, 1)
    if unpacked > ZIP_RATIO_FLOOR and ratio > limits.max_zip_ratio:
        raise IngestError(f"{name}: compressed {ratio:,.0f} to 1; limit "
                          f"{limits.max_zip_ratio:,.0f} to 1 (a compressed bomb?)")  # fmt: skip


def load_docx(
    data: bytes, name: str, path: Path, limits: InputLimits = DEFAULT_LIMITS
) -> list[Article]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        check_zip(data, name, limits)
    except IngestError as e:
        if "not a readable zip" in str(e):
            raise IngestError(f"{name}: not a readable Word (.docx) file") from e
        raise
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(f"{name}: not a readable Word (.docx) file") from e
    paragraphs, size = [], 0
    for paragraph in document.paragraphs:
        if (text := paragraph.text).strip():
            paragraphs.append(text)
            size += len(text) + 2
            if size > limits.max_extracted_chars:
                raise too_long(name, limits.max_article_chars)
    title = document.core_properties.title or ""
    return [article_from_text("\n\n".join(paragraphs), title, origin=name, limits=limits)]


def load_pdf(
    data: bytes, name: str, path: Path, limits: InputLimits = DEFAULT_LIMITS
) -> list[Article]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs each repair it attempts; a damaged file gets one clear error instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{name}: the PDF is encrypted (password protected)")
        _check_page_count(reader, name, limits.max_pdf_pages)
        pages = _extract_pages(reader, name, limits)
        title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise IngestError(f"{name}: not a readable PDF (damaged or not a PDF: {e})") from e
    if not "".join(pages).strip():
        raise IngestError(f"{name}: the PDF has no extractable text (scanned images?)")
    return [article_from_text("\n\n".join(pages), str(title), origin=name, limits=limits)]


def _check_page_count(reader, name: str, limit: int) -> None:
    too_many = f"{name}: the PDF has {{:,}} pages; limit {limit:,}"
    # The page tree's own /Count first: cheap, and enough to refuse an honest giant. It may
    # lie, so the real count (pypdf walks the tree) is checked too.
    declared = reader.root_object["/Pages"].get("/Count")
    if isinstance(declared, int) and declared > limit:
        raise IngestError(too_many.format(declared))
    if (count := len(reader.pages)) > limit:
        raise IngestError(too_many.format(count))


def _extract_pages(reader, name: str, limits: InputLimits) -> list[str]:
    """Each page's text; stops (IngestError) once the text passes the limit, even within
    a page, since one page's content stream can hold any amount of text."""
    budget = limits.max_extracted_chars
    seen = 0

    def count(text, *_args) -> None:
        nonlocal seen
        seen += len(text)
        if seen > budget:
            raise _TooMuchText

    pages = []
    try:
        for page in reader.pages:
            pages.append(page.extract_text(visitor_text=count) or "")
    except _TooMuchText:
        raise too_long(name, limits.max_article_chars) from None
    return pages
