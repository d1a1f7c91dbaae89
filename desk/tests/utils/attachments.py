"""Files for the attachment tests (real JPEG/PNG/HEIC/PDF bytes) and the widget's upload."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from tierline_harness.hostile import plain_pdf

GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2
MAKE = 0x010F

__all__ = ["plain_pdf"]


def photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", *, gps: bool = True) -> bytes:
    """A photo as a phone takes it: with the camera's make and where it was taken (EXIF GPS)."""
    image = Image.new("RGB", size, (200, 40, 40))
    for x in range(0, size[0], 8):
        image.putpixel((x, size[1] // 2), (255, 255, 255))
    exif = Image.Exif()
    exif[MAKE] = "TierPhone"
    if gps:
        exif.get_ifd(GPS_IFD).update({GPS_LATITUDE_REF: "N", GPS_LATITUDE: (48.0, 51.0, 24.0)})
    buffer = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    image.save(buffer, fmt, exif=exif.tobytes())
    return buffer.getvalue()


def upload(
    web: TestClient,
    sess: dict[str, Any],
    data: bytes,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    """The widget's upload: multipart, the conversation's id and token in headers."""
    return web.post(
        "/chat/api/attachments",
        files={"file": (filename, data, content_type)},
        headers={
            "X-Conversation-Id": sess["conversation_id"],
            "X-Conversation-Token": sess["token"],
        },
    )
