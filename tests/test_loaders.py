"""Loaders and normalisation, on fixture files written here (URLs: tests/test_web.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from tests.files import write
from vectorstore.limits import InputLimits
from vectorstore.loaders import (
    IngestError,
    article_from_text,
    byline,
    load_file,
    parse_date,
    read_bytes_as_text,
)

BODY = "The harbour bridge reopened on Monday. Repairs cost 4 million dollars."
HTML = (
    "<html><head><title>Bridge reopens</title><meta name='date' content='2024-03-05'>"
    "<meta name='author' content='Sam Lee'>"
    "</head><body><nav>Home | Sport</nav><article><h1>Bridge reopens</h1>"
    "<p>The harbour bridge reopened on Monday after eight months of repairs that cost "
    "4 million dollars, the transport office said.</p><p>Traffic was light in the morning "
    "and officials expect the usual queues to return by the end of the week.</p>"
    "</article></body></html>"
)


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with real (extractable) text, built by hand."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out.write(trailer.encode())
    return out.getvalue()


# --- text, dates, normalisation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Café £5".encode(), "Café £5"),
        (b"\xef\xbb\xbfBOM text", "BOM text"),
        ("“Quoted” £15.8m €".encode("cp1252"), "“Quoted” £15.8m €"),
        (
            b"caf\xe9 \x81" + b" plain" * 20,
            "café \x81" + " plain" * 20,
        ),  # 0x81 is undefined in cp1252: latin-1
    ],
)
def test_read_bytes_as_text(data: bytes, expected: str) -> None:
    assert read_bytes_as_text(data, "f.txt") == expected


@pytest.mark.parametrize("data", [b"ab\x00cd", bytes(range(1, 9)) * 50 + b"text"])
def test_binary_is_not_text(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"f\.bin: not a text file"):
        read_bytes_as_text(data, "f.bin")


def test_normalisation() -> None:
    article = article_from_text(
        "Cafe\u0301 opens  \r\nline two\t\n\n\n\n\n\nlast\n\n", "  A   title "
    )
    assert article.text == "Café opens\nline two\n\n\nlast"
    assert article.title == "A title"
    with pytest.raises(IngestError, match="is empty"):
        article_from_text(" \n\t ", origin="draft.txt")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024-03-05T10:00:00Z", dt.date(2024, 3, 5)),
        ("March 5, 2024", dt.date(2024, 3, 5)),
        ("5 March 2024", dt.date(2024, 3, 5)),
        ("Tue, 05 Mar 2024 10:00:00 GMT", dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 9), dt.date(2024, 3, 5)),
        ("next Tuesday", None),
        ("", None),
        (2024, None),
        (None, None),
    ],
)
def test_parse_date(value, expected) -> None:
    assert parse_date(value) == expected


# --- formats ---------------------------------------------------------------------------------


def test_txt_headline_and_folder_source(tmp_path: Path) -> None:
    path = write(tmp_path / "business" / "001.txt", f"Bridge reopens\n\n{BODY}\n")
    [article] = load_file(path)
    assert (article.title, article.text, article.source) == ("Bridge reopens", BODY, "business")
    [plain] = load_file(write(tmp_path / "plain.txt", BODY))
    assert (plain.title, plain.text) == ("", BODY)


def test_txt_in_cp1252(tmp_path: Path) -> None:
    path = write(tmp_path / "199.txt", "Mutu sacked\n\nA £15.8m signing.".encode("cp1252"))
    assert load_file(path)[0].text == "A £15.8m signing."


def test_markdown_front_matter(tmp_path: Path) -> None:
    md = (
        "---\ntitle: Bridge reopens\nsource: Harbor Gazette\npublished: 2024-03-05\n"
        "url: https://example.org/bridge\n---\n" + BODY
    )
    [a] = load_file(write(tmp_path / "a.md", md))
    assert (a.title, a.source, a.published) == (
        "Bridge reopens",
        "Harbor Gazette",
        dt.date(2024, 3, 5),
    )
    assert (a.url, a.text) == ("https://example.org/bridge", BODY)
    [b] = load_file(write(tmp_path / "b.md", "# Heading only\n\n" + BODY))
    assert b.title == "Heading only" and b.published is None
    [c] = load_file(write(tmp_path / "c.md", "---\npublished: someday\n---\n" + BODY))
    assert c.published is None and c.author == ""
    with pytest.raises(IngestError, match="front matter"):
        load_file(write(tmp_path / "d.md", "---\ntitle: [unclosed\n---\n" + BODY))


@pytest.mark.parametrize(
    ("front_matter", "author"),
    [
        ("author: Dana Ortiz", "Dana Ortiz"),
        ("Byline: By Dana Ortiz", "Dana Ortiz"),
        ("authors: [Dana Ortiz, Sam Lee]", "Dana Ortiz, Sam Lee"),
        ("author: ''\nbyline: Sam Lee", "Sam Lee"),
    ],
)
def test_markdown_byline(tmp_path: Path, front_matter: str, author: str) -> None:
    [a] = load_file(write(tmp_path / "a.md", f"---\n{front_matter}\n---\n{BODY}"))
    assert a.author == author


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Dana Ortiz", "Dana Ortiz"),
        ("  BY   Dana\n Ortiz ", "Dana Ortiz"),
        (["Dana Ortiz", None, "", "Sam Lee"], "Dana Ortiz, Sam Lee"),
        ("Bystander Staff", "Bystander Staff"),  # "By" only as a word of its own
        (None, ""),
    ],
)
def test_byline(value, expected: str) -> None:
    assert byline(value) == expected


def test_html(tmp_path: Path) -> None:
    [a] = load_file(write(tmp_path / "page.html", HTML))
    assert a.title == "Bridge reopens" and a.published == dt.date(2024, 3, 5)
    assert a.author == "Sam Lee"
    assert "eight months of repairs" in a.text and "Home | Sport" not in a.text
    with pytest.raises(IngestError, match="no article text"):
        load_file(write(tmp_path / "empty.htm", "<html><body><div></div></body></html>"))


def test_records_json_jsonl_csv(tmp_path: Path) -> None:
    rec = {"headline": "Bridge reopens", "body": BODY, "publisher": "Gazette",
           "date": "March 5, 2024", "link": "https://example.org/b", "byline": "By Sam Lee"}  # fmt: skip
    [one] = load_file(write(tmp_path / "one.json", json.dumps(rec)))
    assert (one.title, one.source, one.published, one.author) == (
        "Bridge reopens",
        "Gazette",
        dt.date(2024, 3, 5),
        "Sam Lee",
    )
    assert one.url == "https://example.org/b" and one.origin.endswith("one.json#1")
    second = {"text": "Second one.", "authors": ["Ana Ruiz", "Li Wei"]}
    many = load_file(write(tmp_path / "many.json", json.dumps([rec, second])))
    assert [a.text for a in many] == [BODY, "Second one."]
    assert many[1].author == "Ana Ruiz, Li Wei"
    lines = "\n".join(json.dumps({"content": f"Story {i}.", "title": f"T{i}"}) for i in range(3))
    assert [a.title for a in load_file(write(tmp_path / "r.jsonl", lines + "\n\n"))] == [
        "T0", "T1", "T2",
    ]  # fmt: skip
    csv_text = (
        "title,article,published_at,source,author\n"
        'Bridge,"Line one.\nLine two.",2024-03-05,G,Sam Lee\n'
    )
    [c] = load_file(write(tmp_path / "r.csv", csv_text))
    assert (c.title, c.text, c.published, c.source, c.author) == (
        "Bridge",
        "Line one.\nLine two.",
        dt.date(2024, 3, 5),
        "G",
        "Sam Lee",
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.json", "{not json", "not valid JSON"),
        ("notext.json", json.dumps({"title": "No body"}), "no text field"),
        ("bad.jsonl", '{"text": "ok"}\n{oops\n', "line 2"),
        ("list.json", "[]", "no records"),
        ("scalar.json", "[1]", "expected an object"),
    ],
)
def test_bad_records(tmp_path: Path, name: str, content: str, reason: str) -> None:
    with pytest.raises(IngestError, match=reason):
        load_file(write(tmp_path / name, content))


def test_pdf(tmp_path: Path) -> None:
    [a] = load_file(
        write(tmp_path / "a.pdf", minimal_pdf(["The harbour bridge reopened.", "It cost 4m."]))
    )
    assert a.text == "The harbour bridge reopened.\nIt cost 4m."
    with pytest.raises(IngestError, match="not a readable PDF"):
        load_file(write(tmp_path / "corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF"))
    locked = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf(["Secret."]))))
    locked.encrypt("s3cret")
    buf = io.BytesIO()
    locked.write(buf)
    with pytest.raises(IngestError, match="encrypted"):
        load_file(write(tmp_path / "locked.pdf", buf.getvalue()))
    blank = PdfWriter()
    blank.add_blank_page(200, 200)
    buf = io.BytesIO()
    blank.write(buf)
    with pytest.raises(IngestError, match="no extractable text"):
        load_file(write(tmp_path / "blank.pdf", buf.getvalue()))


def test_docx(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Bridge reopens"
    document.add_paragraph("The harbour bridge reopened on Monday.")
    document.add_paragraph("")
    document.add_paragraph("Repairs cost 4 million dollars.")
    document.save(tmp_path / "a.docx")
    [a] = load_file(tmp_path / "a.docx")
    assert a.title == "Bridge reopens"
    assert a.text == "The harbour bridge reopened on Monday.\n\nRepairs cost 4 million dollars."
    with pytest.raises(IngestError, match=r"not a readable Word"):
        load_file(write(tmp_path / "fake.docx", "just text"))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.jpg", b"\xff\xd8\xff", "unsupported file type"),
        ("binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00", "not a text file"),
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"  \n\n ", "is empty"),
    ],
)
def test_rejected_files(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    with pytest.raises(IngestError, match=reason) as err:
        load_file(write(tmp_path / name, content))
    assert name in str(err.value)


# --- bounds: front matter, metadata, text length ---------------------------------------------


def alias_bomb() -> str:
    """Markdown whose YAML front matter nests aliases: each level repeats the one below
    nine times, so the title expands to millions of characters."""
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcde", "bcdef", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(levels) + "\ntitle: *f\n---\n" + BODY + "\n"


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    import yaml

    text = alias_bomb()
    front_matter = text.split("---\n")[1]
    assert len(text.encode()) < 400
    # It is a real bomb: a plain safe_load builds a title of millions of characters.
    assert len(str(yaml.safe_load(front_matter)["title"])) > 3_000_000
    path = write(tmp_path / "bomb.md", text)
    with pytest.raises(IngestError, match=r"bomb\.md: the front matter uses a YAML alias \(\*a\)"):
        load_file(path)


def test_anchors_without_aliases_are_fine(tmp_path: Path) -> None:
    [a] = load_file(write(tmp_path / "a.md", f"---\ntitle: &t Bridge reopens\n---\n{BODY}"))
    assert a.title == "Bridge reopens"


def test_front_matter_size_is_capped(tmp_path: Path) -> None:
    big = "---\ntitle: Bridge\nnotes: " + "x" * 70_000 + "\n---\n" + BODY
    with pytest.raises(IngestError, match=r"big\.md: front matter of 70,\d{3} characters; limit"):
        load_file(write(tmp_path / "big.md", big))


@pytest.mark.parametrize(
    ("field", "front_matter", "limit"),
    [
        ("title", "title: " + "T" * 1_001, "1,000"),
        ("author", "author: " + "A" * 501, "500"),
        ("source", "source: " + "S" * 301, "300"),
        ("url", "url: https://example.org/" + "u" * 4_096, "4,096"),
    ],
)
def test_metadata_fields_are_capped(
    tmp_path: Path, field: str, front_matter: str, limit: str
) -> None:
    path = write(tmp_path / "long.md", f"---\n{front_matter}\n---\n{BODY}")
    with pytest.raises(IngestError, match=rf"long\.md: the {field} is too long .*limit {limit}\)"):
        load_file(path)


def test_metadata_at_its_limit_is_kept(tmp_path: Path) -> None:
    [a] = load_file(write(tmp_path / "a.md", f"---\ntitle: {'T' * 1_000}\n---\n{BODY}"))
    assert len(a.title) == 1_000


def test_article_length_is_refused_before_normalising(tmp_path: Path) -> None:
    limits = InputLimits(max_article_chars=1_000)
    # Over twice the limit: refused on its raw length; just over: on its normalised length.
    path = write(tmp_path / "long.txt", "word " * 500)
    with pytest.raises(IngestError, match=r"long\.txt: article too long \(2,500 characters; limit"):
        load_file(path, limits=limits)
    path = write(tmp_path / "longer.txt", "word " * 300)
    with pytest.raises(IngestError, match=r"longer\.txt: article too long \(1,499 characters;"):
        load_file(path, limits=limits)
    assert load_file(write(tmp_path / "short.txt", "word " * 150), limits=limits)
    with pytest.raises(IngestError, match=r"#1: article too long"):
        load_file(write(tmp_path / "r.jsonl", json.dumps({"text": "w " * 600})), limits=limits)


def test_the_check_limits_follow_the_setting() -> None:
    from settings import Settings
    from vectorstore.limits import check_limits

    assert check_limits(Settings(max_article_chars=12_345)).max_article_chars == 12_345


def test_loaders_do_not_import_the_web_fetcher() -> None:
    """The loaders <-> web import cycle is gone: loading a file never imports the fetcher."""
    import subprocess
    import sys

    code = "import sys, vectorstore.loaders; print('vectorstore.web' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
