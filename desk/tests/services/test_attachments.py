"""Attachments: what the content checks take and refuse, both stores, and the signed links."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tierline_harness.hostile import (
    decompression_bomb_png,
    pdf_with_javascript,
    pdf_with_launch,
    plain_pdf,
    script_renamed_jpg,
    svg_with_script,
)

from tests.utils.attachments import GPS_IFD, MAKE, photo
from tests.utils.web_chat import IDENTITY_SECRET
from tierline_desk.attachments import checks, links, service
from tierline_desk.attachments.stores import DatabaseStore, LocalDirectoryStore, get_blob_store
from tierline_desk.models import Attachment, AttachmentBlob
from tierline_desk.services import chat
from tierline_desk.settings import get_settings

MAX_PIXELS = 40_000_000


@pytest.fixture
def signing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIERLINE_IDENTITY_SECRET", IDENTITY_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(params=["local", "database"])
def store_name(
    request: pytest.FixtureRequest, db: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("ATTACHMENT_STORE", request.param)
    get_settings.cache_clear()
    yield str(request.param)
    get_settings.cache_clear()


# ---------------------------------------------------------------- the checks


def test_a_phone_photo_loses_its_exif_and_gps_and_gets_a_thumbnail() -> None:
    original = photo((1200, 900))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the camera put it in
    checked = checks.check(original, max_pixels=MAX_PIXELS)
    assert (checked.kind, checked.content_type, checked.extension) == ("image", "image/jpeg", "jpg")
    cleaned = Image.open(io.BytesIO(checked.data))
    exif = cleaned.getexif()
    assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and len(exif) == 0
    assert b"TierPhone" not in checked.data
    assert (checked.width, checked.height) == (1200, 900)
    assert checked.thumbnail is not None
    thumb = Image.open(io.BytesIO(checked.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) == 320


def test_png_stays_png_without_its_metadata() -> None:
    checked = checks.check(photo((300, 200), "PNG"), max_pixels=MAX_PIXELS)
    assert checked.content_type == "image/png"
    assert b"TierPhone" not in checked.data
    assert not Image.open(io.BytesIO(checked.data)).getexif()


def test_heic_from_an_iphone_becomes_a_jpeg_every_browser_shows() -> None:
    original = photo((400, 300), "HEIF")
    checked = checks.check(original, max_pixels=MAX_PIXELS)
    assert checked.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(checked.data)).format == "JPEG"
    assert b"TierPhone" not in checked.data


def test_a_plain_pdf_is_kept_as_it_is() -> None:
    checked = checks.check(plain_pdf(), max_pixels=MAX_PIXELS)
    assert (checked.kind, checked.content_type, checked.thumbnail) == (
        "pdf",
        "application/pdf",
        None,
    )
    assert checked.data == plain_pdf()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (script_renamed_jpg(), "unsupported_type"),
        (b"GIF89a" + bytes(100), "unsupported_type"),
        (svg_with_script(), "svg_refused"),
        (pdf_with_javascript(), "pdf_active_content"),
        (pdf_with_javascript(escaped=True), "pdf_active_content"),
        (pdf_with_launch(), "pdf_active_content"),
        (b"%PDF-1.7\n" + bytes(50), "unreadable_file"),
        (decompression_bomb_png(4)[:-16], "unreadable_file"),
        (b"", "empty_file"),
    ],
    ids=[
        "script",
        "gif",
        "svg",
        "pdf-js",
        "pdf-js-escaped",
        "pdf-launch",
        "pdf-junk",
        "cut",
        "empty",
    ],
)
def test_hostile_files_are_refused_with_their_reason(data: bytes, code: str) -> None:
    with pytest.raises(checks.Refused) as refused:
        checks.check(data, max_pixels=MAX_PIXELS)
    assert refused.value.code == code
    assert refused.value.message


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding() -> None:
    bomb = decompression_bomb_png()  # 60000 x 60000: 10 GB if decoded
    started = time.monotonic()
    with pytest.raises(checks.Refused) as refused:
        checks.check(bomb, max_pixels=MAX_PIXELS)
    assert refused.value.code == "too_many_pixels"
    assert "40,000,000 pixels" in refused.value.message
    assert time.monotonic() - started < 2
    # Under Pillow's own bomb guard, over the desk's limit: refused all the same.
    with pytest.raises(checks.Refused) as refused:
        checks.check(decompression_bomb_png(8000), max_pixels=MAX_PIXELS)
    assert "8000 x 8000" in refused.value.message


def test_the_pixel_limit_is_the_settings() -> None:
    with pytest.raises(checks.Refused, match="too_many_pixels"):
        checks.check(photo((200, 200)), max_pixels=200 * 199)
    assert checks.check(photo((200, 200)), max_pixels=200 * 200).width == 200


# ---------------------------------------------------------------- the stores


def _conversation(session: Session) -> str:
    conversation, _ = chat.create_conversation(session, None)
    session.commit()
    return conversation.conversation_id


def test_both_stores_keep_and_give_back_the_cleaned_file(
    store_name: str, session: Session, signing: None, tmp_path: Path
) -> None:
    conversation_id = _conversation(session)
    saved = service.save(session, conversation_id, "IMG_0001.HEIC.jpg", photo())
    assert saved.filename == "IMG_0001.HEIC.jpg" and saved.kind == "image"
    original = service.read(session, saved.attachment_id, "file")
    thumb = service.read(session, saved.attachment_id, "thumb")
    assert original is not None and thumb is not None
    assert b"TierPhone" not in original.data
    assert Image.open(io.BytesIO(thumb.data)).size[0] <= 320
    in_database = session.scalar(select(func.count()).select_from(AttachmentBlob))
    on_disk = list((tmp_path / "attachments").glob("att-*")) if store_name == "local" else []
    assert (in_database, len(on_disk)) == ((2, 0) if store_name == "database" else (0, 2))


def test_nothing_is_stored_for_a_refused_file(
    store_name: str, session: Session, tmp_path: Path
) -> None:
    conversation_id = _conversation(session)
    for hostile in (script_renamed_jpg(), svg_with_script(), pdf_with_javascript()):
        with pytest.raises(service.Refused):
            service.save(session, conversation_id, "x.jpg", hostile)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert session.scalar(select(func.count()).select_from(AttachmentBlob)) == 0
    assert not list((tmp_path / "attachments").glob("att-*"))


def test_a_conversation_takes_only_its_limit_of_files(
    store_name: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTACHMENT_MAX_PER_CONVERSATION", "2")
    get_settings.cache_clear()
    conversation_id = _conversation(session)
    service.save(session, conversation_id, "a.jpg", photo())
    service.save(session, conversation_id, "b.pdf", plain_pdf())
    with pytest.raises(service.Refused) as refused:
        service.save(session, conversation_id, "c.jpg", photo())
    assert refused.value.code == "too_many_files"
    other = _conversation(session)
    assert service.save(session, other, "a.jpg", photo()).conversation_id == other


def test_the_setting_chooses_the_store(store_name: str) -> None:
    expected = DatabaseStore if store_name == "database" else LocalDirectoryStore
    assert isinstance(get_blob_store(), expected)


def test_local_keys_never_leave_the_directory(tmp_path: Path, session: Session) -> None:
    store = LocalDirectoryStore(tmp_path)
    for key in ("../escape", "/etc/passwd", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="storage key"):
            store.put(session, key, b"x")


def test_names_shown_are_safe_and_carry_the_real_extension() -> None:
    assert service.display_name("../../etc/passwd", "jpg") == "passwd.jpg"
    assert service.display_name("C:\\Users\\me\\photo.png", "jpg") == "photo.jpg"
    assert service.display_name('<img src=x onerror="a()">.pdf', "pdf").endswith(".pdf")
    assert "<" not in service.display_name("<script>.jpg", "jpg")
    assert service.display_name(None, "png") == "attachment.png"


# ---------------------------------------------------------------- the links


def test_a_link_works_until_it_expires_and_only_for_its_file_and_variant(
    signing: None,
) -> None:
    now = time.time()
    path = links.signed_path("att-" + "a" * 24, "thumb", ttl_seconds=60, now=now)
    query = dict(part.split("=") for part in path.split("?", 1)[1].split("&"))
    expires, sig = int(query["expires"]), query["sig"]
    assert links.verify("att-" + "a" * 24, "thumb", expires, sig, now=now)
    assert not links.verify("att-" + "a" * 24, "thumb", expires, sig, now=now + 61)
    assert not links.verify("att-" + "b" * 24, "thumb", expires, sig, now=now)
    assert not links.verify("att-" + "a" * 24, "file", expires, sig, now=now)
    assert not links.verify("att-" + "a" * 24, "thumb", expires + 3600, sig, now=now)
    assert not links.verify("att-" + "a" * 24, "thumb", expires, "nothex", now=now)
