"""Where attachment bytes live: ``ATTACHMENT_STORE`` chooses the backend.

- ``local`` (default): files under ``ATTACHMENT_DIR`` (``var/attachments``), outside the web
  root; one desk, or replicas sharing that directory.
- ``database``: the ``attachment_blobs`` table (bytea on PostgreSQL), which every desk replica
  shares without a shared disk.

Keys are made by the desk (:func:`tierline_desk.attachments.service.save`), never by a request.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import AttachmentBlob
from ..settings import get_settings

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")


def _checked_key(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"not an attachment storage key: {key!r}")
    return key


class BlobStore(Protocol):
    """Bytes by key. ``session`` is the caller's (the database store writes in its transaction)."""

    def put(self, session: Session, key: str, data: bytes) -> None: ...

    def get(self, session: Session, key: str) -> bytes | None: ...

    def delete(self, session: Session, key: str) -> None: ...


class LocalDirectoryStore:
    """Files in one directory; each written to a temporary name, then renamed into place."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / _checked_key(key)

    def put(self, session: Session, key: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, session: Session, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, session: Session, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class DatabaseStore:
    """Rows of ``attachment_blobs``, written in the caller's transaction."""

    def put(self, session: Session, key: str, data: bytes) -> None:
        session.add(AttachmentBlob(storage_key=_checked_key(key), data=data))
        session.flush()

    def get(self, session: Session, key: str) -> bytes | None:
        return session.scalar(
            select(AttachmentBlob.data).where(AttachmentBlob.storage_key == _checked_key(key))
        )

    def delete(self, session: Session, key: str) -> None:
        session.execute(
            delete(AttachmentBlob).where(AttachmentBlob.storage_key == _checked_key(key))
        )


def get_blob_store() -> BlobStore:
    """The store ``ATTACHMENT_STORE`` names (read on each call: tests switch it)."""
    settings = get_settings()
    if settings.attachment_store == "database":
        return DatabaseStore()
    return LocalDirectoryStore(settings.attachment_dir)
