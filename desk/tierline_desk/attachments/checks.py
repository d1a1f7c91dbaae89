"""What a file really is, read from its content (never its name or declared type).

Accepted: JPEG, PNG and HEIC/HEIF photos (re-encoded with Pillow: no EXIF, no GPS, no text
chunks; HEIC becomes JPEG so every browser shows it) and PDFs without active content
(JavaScript, OpenAction, Launch, additional actions). Everything else is refused with a
:class:`Refused` that says why.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

THUMBNAIL_SIZE = (320, 320)
# Pillow's names for the accepted image formats -> what is stored and served.
_IMAGE_OUTPUT = {"JPEG": "JPEG", "PNG": "PNG", "HEIF": "JPEG"}
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# Names whose presence makes a PDF run something when opened or clicked.
_ACTIVE_PDF_NAMES = frozenset({"/JavaScript", "/JS", "/OpenAction", "/Launch", "/AA"})
# A PDF with more objects than this is not worth walking (and not a receipt or a photo).
_MAX_PDF_OBJECTS = 100_000


@dataclass(frozen=True)
class Refused(Exception):
    """A file the desk will not keep: ``code`` for programs, ``message`` for the shopper."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class Checked:
    """A file fit to store: ``data`` as stored (re-encoded for images)."""

    kind: str  # "image" | "pdf"
    content_type: str
    extension: str
    data: bytes
    thumbnail: bytes | None
    width: int | None = None
    height: int | None = None


def check(data: bytes, *, max_pixels: int) -> Checked:
    """The file, checked and cleaned; raises :class:`Refused` for anything else."""
    if not data:
        raise Refused("empty_file", "That file is empty.")
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return _check_pdf(data)
    if _looks_like_svg(head):
        raise Refused(
            "svg_refused",
            "SVG pictures can carry scripts, so we can't accept them. "
            "Please send a photo (JPEG, PNG or HEIC) or a PDF.",
        )
    return _check_image(data, max_pixels)


def _looks_like_svg(head: bytes) -> bool:
    lowered = head.lower()
    return lowered.startswith(b"<?xml") or b"<svg" in lowered or lowered.startswith(b"<!doctype")


def _unsupported() -> Refused:
    return Refused(
        "unsupported_type",
        "We can only take photos (JPEG, PNG or HEIC) and PDF files; that file is neither, "
        "whatever its name says.",
    )


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Opened (header only, nothing decoded yet), and within the pixel limit."""
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _unsupported() from None
    if image.format not in _IMAGE_OUTPUT:
        raise _unsupported()
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels((width, height), max_pixels)
    return image


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> Refused:
    told = f"That picture is {size[0]} x {size[1]} pixels, " if size else "That picture is "
    return Refused(
        "too_many_pixels",
        f"{told}more than we can take ({max_pixels:,} pixels). Please send a smaller photo.",
    )


def _check_image(data: bytes, max_pixels: int) -> Checked:
    image = _open_image(data, max_pixels)
    try:
        image.verify()  # structure and checksums, without decoding
        image = _open_image(data, max_pixels)  # verify() leaves the image unusable
        image.load()
        upright = ImageOps.exif_transpose(image)
    except Refused:
        raise
    except Exception:  # a broken file fails somewhere in a decoder; never a crash
        raise Refused(
            "unreadable_file", "That picture is damaged or incomplete; please take it again."
        ) from None
    output = _IMAGE_OUTPUT[str(image.format)]
    cleaned = _reencode(upright, output)
    return Checked(
        kind="image",
        content_type=_CONTENT_TYPES[output],
        extension="jpg" if output == "JPEG" else "png",
        data=cleaned,
        thumbnail=_thumbnail(upright),
        width=upright.width,
        height=upright.height,
    )


def _reencode(image: Image.Image, output: str) -> bytes:
    """The pixels only: a fresh save with no EXIF (GPS), XMP, comments or text chunks."""
    image.info = {}
    if output == "JPEG" and image.mode not in ("RGB", "L"):
        image = _flatten(image)
    elif output == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    if output == "JPEG":
        image.save(buffer, "JPEG", quality=90, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (a JPEG has no transparency)."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _thumbnail(image: Image.Image) -> bytes:
    small = _flatten(image) if image.mode != "RGB" else image.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _check_pdf(data: bytes) -> Checked:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused(
                "pdf_encrypted",
                "That PDF is password-protected; please send one we can open.",
            )
        active = _active_content(reader)
    except Refused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise Refused("unreadable_file", "That PDF is damaged; we couldn't read it.") from None
    if active:
        raise Refused(
            "pdf_active_content",
            f"That PDF contains code that runs when it is opened ({active.lstrip('/')}), so we "
            "can't accept it. Please send a plain PDF or a photo.",
        )
    return Checked(
        kind="pdf", content_type="application/pdf", extension="pdf", data=data, thumbnail=None
    )


def _active_content(reader: PdfReader) -> str | None:
    """The first active-content name found in the document's objects, or None.

    Walks every object reachable from the trailer (pages, names tree, annotations, forms), so
    a name hidden in a compressed object stream or written with ``#`` escapes is found too.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [reader.trailer]
    visited = 0
    while stack:
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            raise Refused("unreadable_file", "That PDF is too complex for us to check.")
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            resolved = node.get_object()
            if resolved is None:
                continue
            node = resolved
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in _ACTIVE_PDF_NAMES:
                    return str(name)
                if name == "/S" and isinstance(value, NameObject) and value in _ACTIVE_PDF_NAMES:
                    return str(value)
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


_heif_registered = False


def _register_heif() -> None:
    """Let Pillow open HEIC/HEIF (pillow-heif), once, on first use (no work at import)."""
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True
