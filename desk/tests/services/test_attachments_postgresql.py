"""The database attachment store on a real PostgreSQL (bytea), as several desk replicas use it:
what one replica stores, another reads; a refused file leaves no row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from tierline_common.local_servers import running_postgres
from tierline_harness.hostile import pdf_with_javascript

from tests.utils.attachments import photo, plain_pdf
from tierline_desk.attachments import service
from tierline_desk.db import reset_engines
from tierline_desk.migrate import upgrade_head
from tierline_desk.models import AttachmentBlob
from tierline_desk.services import chat
from tierline_desk.settings import get_settings

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]


@pytest.fixture
def postgres_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throw-away PostgreSQL cluster, migrated, with ATTACHMENT_STORE=database."""
    with running_postgres() as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE desk")
        url = server.url("desk").replace("postgresql://", "postgresql+psycopg://")
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("ATTACHMENT_STORE", "database")
        monkeypatch.setenv("ATTACHMENT_DIR", str(tmp_path / "never-used"))
        get_settings.cache_clear()
        reset_engines()
        try:
            upgrade_head(url)
            yield url
        finally:
            reset_engines()
            get_settings.cache_clear()


def test_what_one_replica_stores_another_serves(postgres_url: str, tmp_path: Path) -> None:
    # Two "replicas": two engines (pools) on the same database, as two desk processes have.
    engines = [create_engine(postgres_url), create_engine(postgres_url)]
    try:
        _store_on_one_read_on_the_other(
            *(sessionmaker(bind=e, expire_on_commit=False) for e in engines)
        )
    finally:
        for engine in engines:
            engine.dispose()
    assert not (tmp_path / "never-used").exists()


def _store_on_one_read_on_the_other(
    replica_a: sessionmaker[Session], replica_b: sessionmaker[Session]
) -> None:
    with replica_a() as session:
        conversation, _ = chat.create_conversation(session, None)
        session.commit()
        saved = service.save(session, conversation.conversation_id, "crack.jpg", photo())
        pdf = service.save(session, conversation.conversation_id, "receipt.pdf", plain_pdf())
    with replica_b() as session:
        image = service.read(session, saved.attachment_id, "file")
        thumb = service.read(session, saved.attachment_id, "thumb")
        receipt = service.read(session, pdf.attachment_id, "file")
        assert image is not None and image.content_type == "image/jpeg"
        assert b"TierPhone" not in image.data
        assert thumb is not None and thumb.data[:3] == b"\xff\xd8\xff"
        assert receipt is not None and receipt.data == plain_pdf()
        assert session.scalar(select(func.count()).select_from(AttachmentBlob)) == 3
        with pytest.raises(service.Refused, match="pdf_active_content"):
            service.save(session, conversation.conversation_id, "x.pdf", pdf_with_javascript())
        assert session.scalar(select(func.count()).select_from(AttachmentBlob)) == 3
