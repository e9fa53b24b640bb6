"""Bounds on what one input may cost us: bytes read, text extracted, pages, unpacked size.

Every file, page and record is untrusted. Each bound below is checked before or while the
input is read, never after it has been loaded whole, and an input over one is refused with
an `IngestError` naming the limit; nothing already in the archive is touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from settings import Settings

MAX_FILE_BYTES = 50_000_000  # a file on disk or an upload
MAX_ARTICLE_CHARS = 2_000_000  # text of one archive article (a check uses its own setting)
MAX_FRONT_MATTER_CHARS = 64_000  # Markdown front matter holds a few fields, not a book
MAX_TITLE_CHARS = 1_000
MAX_AUTHOR_CHARS = 500
MAX_SOURCE_CHARS = 300
MAX_URL_CHARS = 4_096
MAX_ZIP_MEMBERS = 5_000  # a .docx holds tens of parts
MAX_ZIP_BYTES = 200_000_000  # all parts unpacked; images inside are already compressed
MAX_ZIP_RATIO = 100.0  # unpacked / packed; Word XML packs 5-20 to 1, a zip bomb ~1000 to 1
ZIP_RATIO_FLOOR = 2_000_000  # below this unpacked size a high ratio is harmless
MAX_PDF_PAGES = 1_000
MAX_FETCH_BYTES = 5_000_000  # one web page
FETCH_TIMEOUT = 15.0  # seconds for connecting and for each read
FETCH_DEADLINE = 60.0  # seconds for a whole fetch, redirects included
# Extracted PDF/Word text carries layout whitespace that normalisation removes, so reading
# stops at this multiple of the article limit; the exact limit is applied to the result.
EXTRACTION_SLACK = 2


class InputLimits(BaseModel):
    """The bounds one load works within; the defaults are the constants above."""

    model_config = ConfigDict(frozen=True)

    max_file_bytes: int = Field(MAX_FILE_BYTES, gt=0)
    max_article_chars: int = Field(MAX_ARTICLE_CHARS, gt=0)
    max_front_matter_chars: int = Field(MAX_FRONT_MATTER_CHARS, gt=0)
    max_title_chars: int = Field(MAX_TITLE_CHARS, gt=0)
    max_author_chars: int = Field(MAX_AUTHOR_CHARS, gt=0)
    max_source_chars: int = Field(MAX_SOURCE_CHARS, gt=0)
    max_url_chars: int = Field(MAX_URL_CHARS, gt=0)
    max_zip_members: int = Field(MAX_ZIP_MEMBERS, gt=0)
    max_zip_bytes: int = Field(MAX_ZIP_BYTES, gt=0)
    max_zip_ratio: float = Field(MAX_ZIP_RATIO, gt=1)
    max_pdf_pages: int = Field(MAX_PDF_PAGES, gt=0)
    max_fetch_bytes: int = Field(MAX_FETCH_BYTES, gt=0)
    fetch_timeout: float = Field(FETCH_TIMEOUT, gt=0)
    fetch_deadline: float = Field(FETCH_DEADLINE, gt=0)

    @property
    def max_extracted_chars(self) -> int:
        return self.max_article_chars * EXTRACTION_SLACK


def check_limits(settings: Settings) -> InputLimits:
    """The bounds for an article to be checked: its length is the check's own setting, so a
    file or page over it stops being read as soon as that is clear."""
    return InputLimits(max_article_chars=settings.max_article_chars)
