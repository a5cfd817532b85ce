"""Where attachment bytes live: content-addressed blobs behind a small protocol.

A blob is named by the SHA-256 of its bytes, never by anything the client sent, so identical
files are stored once and no file name can reach the file system. The local implementation
writes to a temporary file in the same directory tree, checks the size limit on every chunk,
and renames atomically into ``ab/cd/abcdef...`` only when the caller commits.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from atende.domain.errors import DomainError, NotFound

HEAD_BYTES = 64 * 1024  # kept in memory for content-type detection
CHUNK_BYTES = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileTooLarge(DomainError):
    """The file is larger than the configured limit (413)."""

    status = 413
    code = "file_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes", field="file")
        self.limit = limit


class BlobMissing(NotFound):
    """The metadata exists but the bytes are gone from the storage."""

    code = "content_missing"


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


class BlobWriter(Protocol):
    """An upload in progress: nothing is visible in the storage until ``commit``."""

    @property
    def size(self) -> int: ...

    @property
    def head(self) -> bytes:
        """The first bytes written (up to ``HEAD_BYTES``), for type detection."""
        ...

    def write(self, chunk: bytes) -> None:
        """Append bytes; raises `FileTooLarge` (and discards everything) past the limit."""
        ...

    def commit(self) -> StoredBlob: ...

    def abort(self) -> None:
        """Discard the upload; harmless after `commit` or a previous `abort`."""
        ...


class AttachmentStorage(Protocol):
    def writer(self, *, max_bytes: int) -> BlobWriter: ...

    def put(self, stream: BinaryIO | Iterable[bytes], *, max_bytes: int) -> StoredBlob: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...


def valid_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def put_stream(
    storage: AttachmentStorage, stream: BinaryIO | Iterable[bytes], *, max_bytes: int
) -> StoredBlob:
    """Copy a file object or an iterable of chunks into ``storage`` through a writer."""
    writer = storage.writer(max_bytes=max_bytes)
    try:
        if hasattr(stream, "read"):
            while chunk := stream.read(CHUNK_BYTES):
                writer.write(chunk)
        else:
            for chunk in stream:
                writer.write(chunk)
        return writer.commit()
    finally:
        writer.abort()


class _LocalWriter:
    def __init__(self, storage: LocalStorage, max_bytes: int) -> None:
        self._storage = storage
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()
        tmp_dir = storage.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-", suffix=".part")
        self._path: Path | None = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    @property
    def size(self) -> int:
        return self._size

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise RuntimeError("the upload is already committed or aborted")
        if not chunk:
            return
        if self._size + len(chunk) > self._max_bytes:
            self.abort()
            raise FileTooLarge(self._max_bytes)
        self._file.write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head.extend(chunk[: HEAD_BYTES - len(self._head)])

    def commit(self) -> StoredBlob:
        if self._file is None or self._path is None:
            raise RuntimeError("the upload is already committed or aborted")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        digest = self._hash.hexdigest()
        final = self._storage.path_for(digest)
        if final.exists():  # deduplicated: the same bytes are already stored
            self._path.unlink(missing_ok=True)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._path, final)
        self._path = None
        return StoredBlob(sha256=digest, size=self._size)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


class LocalStorage:
    """Blobs under ``root/ab/cd/abcdef...``; temporary uploads under ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if not valid_sha256(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def writer(self, *, max_bytes: int) -> BlobWriter:
        return _LocalWriter(self, max_bytes)

    def put(self, stream: BinaryIO | Iterable[bytes], *, max_bytes: int) -> StoredBlob:
        return put_stream(self, stream, max_bytes=max_bytes)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path_for(sha256).open("rb")
        except FileNotFoundError as exc:
            raise BlobMissing("the attachment's content is missing from the storage") from exc

    def exists(self, sha256: str) -> bool:
        return valid_sha256(sha256) and self.path_for(sha256).is_file()

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(sha256).unlink()
