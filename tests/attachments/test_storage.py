"""The local content-addressed storage and the name/type rules, without HTTP."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.attachments.content import (
    MAX_NAME_CHARS,
    detect_content_type,
    sanitize_filename,
)
from atende.attachments.storage import BlobMissing, FileTooLarge, LocalStorage

pytestmark = pytest.mark.nodb


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_stores_by_hash_and_deduplicates(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    data = b"comprovante de pagamento" * 1000
    first = storage.put(io.BytesIO(data), max_bytes=10**6)
    second = storage.put(iter([data[:7], data[7:]]), max_bytes=10**6)
    digest = hashlib.sha256(data).hexdigest()
    assert first == second
    assert (first.sha256, first.size) == (digest, len(data))
    assert files_under(tmp_path) == [tmp_path / digest[:2] / digest[2:4] / digest]
    assert storage.exists(digest)
    with storage.open(digest) as f:
        assert f.read() == data
    storage.delete(digest)
    assert not storage.exists(digest)
    with pytest.raises(BlobMissing):
        storage.open(digest)
    storage.delete(digest)  # deleting twice is harmless


def test_over_the_limit_raises_while_streaming_and_leaves_nothing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    consumed = []

    def chunks() -> object:
        for i in range(100):
            consumed.append(i)
            yield b"x" * 1000

    with pytest.raises(FileTooLarge) as err:
        storage.put(chunks(), max_bytes=2500)  # type: ignore[arg-type]
    assert err.value.status == 413
    assert len(consumed) == 3  # stopped at the first chunk past the limit
    assert files_under(tmp_path) == []


def test_nothing_is_visible_before_commit_and_abort_discards(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    writer = storage.writer(max_bytes=100)
    writer.write(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    assert not storage.exists(digest)
    assert writer.head == b"abc" and writer.size == 3
    writer.abort()
    writer.abort()
    assert files_under(tmp_path) == []
    assert not storage.exists(digest)


def test_hash_names_only(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for bad in ("../../etc/passwd", "AB" * 32, "a" * 63, ""):
        assert not storage.exists(bad)
        with pytest.raises(ValueError):
            storage.path_for(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_sanitized_names_are_bounded_flat_and_printable(raw: str) -> None:
    name = sanitize_filename(raw)
    assert 0 < len(name) <= MAX_NAME_CHARS
    assert "/" not in name and "\\" not in name
    assert name not in (".", "..")
    assert not name.startswith((" ", ".")) and not name.endswith((" ", "."))
    assert all(c.isprintable() for c in name)
    assert sanitize_filename(name) == name  # idempotent


def test_sanitize_examples() -> None:
    assert sanitize_filename("../../etc/passwd") == "passwd"
    assert sanitize_filename("C:\\Users\\ana\\relatório.pdf") == "relatório.pdf"
    assert sanitize_filename(None) == "attachment"
    assert sanitize_filename("  nota   fiscal .pdf  ") == "nota fiscal .pdf"
    long = sanitize_filename("a" * 500 + ".xlsx")
    assert len(long) == MAX_NAME_CHARS and long.endswith(".xlsx")


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("head", "filename", "declared", "expected"),
    [
        (b"%PDF-1.7\n", "boleto.pdf", "application/pdf", "application/pdf"),
        (b"%PDF-1.7\n", "boleto.txt", "text/plain", "application/pdf"),
        (b"hello", "boleto.pdf", "application/pdf", "text/plain"),  # the name proves nothing
        (b"GIF89a\x01\x00", "x", None, "image/gif"),
        (
            _xlsx(),
            "vendas.xlsx",
            None,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (_xlsx(), "vendas", "application/zip", "application/zip"),
        (b"a,b\n1,2\n", "x.csv", "text/csv; charset=utf-8", "text/csv"),
        (b"a,b\n", "x.html", "text/html", "text/plain"),
        (b"\x00\x01\x02\x03\xfe\xfd", "x", "text/plain", "application/octet-stream"),
        (b"", "vazio.txt", "text/plain", "application/octet-stream"),
        (b"abc", "x", "not a type", "text/plain"),
    ],
)
def test_content_type_comes_from_the_bytes(
    head: bytes, filename: str, declared: str | None, expected: str
) -> None:
    assert detect_content_type(head, filename=filename, declared=declared) == expected
