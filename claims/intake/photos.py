"""Judge an uploaded damage photo by its content and make the copies the app shows.

Villagers send photos of trampled crops and broken fences from cheap phones, over poor connections. The
bytes are untrusted: the file name and declared type mean nothing, uploads break off half-way, and
anyone can send a program renamed ``photo.jpg`` or a small file that decodes to gigabytes. This module
is the one place that turns such bytes into either a :class:`ProcessedPhoto` (facts plus safe copies)
or a :class:`PhotoRejected` with a stable code and a message the villager can understand.

It is deliberately free of the database and of Flask request state, so it can be tested and fuzzed on
its own, and ``process_photo`` is exactly the bare image work, so a benchmark can use it as the baseline
that the upload view is compared against.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

import imagehash
import pillow_heif

# imagehash imports scipy.fftpack lazily inside phash(); importing it here moves that one-off cost
# (a few hundred ms) from the first upload after start-up to the import.
import scipy.fftpack  # noqa: F401
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, UnidentifiedImageError

__all__ = [
    "PhotoLimits",
    "PhotoRejected",
    "ProcessedPhoto",
    "haversine_km",
    "phash_distance",
    "process_photo",
]

log = logging.getLogger(__name__)

# Registered once, at import: iPhones and many Android phones save HEIC by default.
pillow_heif.register_heif_opener()

# Only these parsers ever see the bytes. Restricting Image.open (rather than only checking im.format
# afterwards) keeps Pillow's many other plugins - EPS, TGA, PSD, ... - from parsing untrusted headers.
_OPEN_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")

# Image.format -> (format we report, MIME type of the original). Pillow reports a JPEG that carries
# several pictures (a phone's multi-picture JPEG with a preview or depth map) as "MPO": it is a JPEG.
_ACCEPTED: Final[dict[str, tuple[str, str]]] = {
    "JPEG": ("JPEG", "image/jpeg"),
    "MPO": ("JPEG", "image/jpeg"),
    "PNG": ("PNG", "image/png"),
    "WEBP": ("WEBP", "image/webp"),
    "HEIF": ("HEIF", "image/heif"),
}

# What malformed input makes Pillow and its plugins raise. They are mapped to a rejection; anything
# else (a MemoryError, a bug in this module) is not the uploader's fault and propagates.
_PARSE_ERRORS: Final = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,  # Pillow's "not a valid file of this format"
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    struct.error,
    EOFError,
    ZeroDivisionError,
    OverflowError,
    RuntimeError,  # libheif errors surface as RuntimeError from pillow-heif
    zlib.error,
)

_BOMB_ERRORS: Final = (Image.DecompressionBombError, Image.DecompressionBombWarning)

_EXIF_IFD: Final = 0x8769
_GPS_IFD: Final = 0x8825
_TAG_ORIENTATION: Final = 0x0112
_TAG_DATETIME: Final = 0x0132
_TAG_DATETIME_ORIGINAL: Final = 0x9003
_TAG_OFFSET_TIME: Final = 0x9010
_TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011
_GPS_LATITUDE_REF: Final = 1
_GPS_LATITUDE: Final = 2
_GPS_LONGITUDE_REF: Final = 3
_GPS_LONGITUDE: Final = 4

# The same table ImageOps.exif_transpose uses. We apply it ourselves, after downscaling, because turning
# a 1280-px copy is cheaper than turning the decoded image, and we have already read the orientation.
_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_SIDES: Final = frozenset({5, 6, 7, 8})

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for any phone
# photo and, unlike ZoneInfo("Asia/Shanghai"), needs no tzdata on slim servers.
CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")

_EXIF_TIME = re.compile(r"\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})")
_UTC_OFFSET = re.compile(r"\s*([+-])(\d{2}):?(\d{2})\s*$")

_JPEG_QUALITY: Final = 82
_WHITE: Final = (255, 255, 255)
EARTH_RADIUS_KM: Final = 6371.0088  # mean Earth radius (IUGG)

# Signatures used only to choose the message when no allowed parser accepted the bytes: a damaged
# JPEG deserves "send it again", a GIF deserves "use another format", a program deserves neither.
_ALLOWED_SIGNATURES: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_OTHER_IMAGE_SIGNATURES: Final = (
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"II+\x00",
    b"MM\x00+",
    b"\x00\x00\x01\x00",  # ICO
    b"\x00\x00\x02\x00",  # CUR
    b"8BPS",  # Photoshop
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
    b"\xff\x0a",  # JPEG XL codestream
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL container
    b"qoif",
    b"DDS ",
    b"\x76\x2f\x31\x01",  # OpenEXR
)
_OTHER_IMAGE_BRANDS: Final = frozenset({b"avif", b"avis", b"crx "})


@dataclass(frozen=True)
class PhotoLimits:
    """Limits that keep one upload from exhausting a small server's memory or CPU.

    ``max_bytes`` is checked before any parsing; ``max_pixels`` from the image header, before any pixel
    is decoded, because a few KB of PNG can describe 400 million pixels.
    """

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 60_000_000
    display_size: int = 1280
    thumb_size: int = 320

    def __post_init__(self) -> None:
        # A zero or negative limit is a configuration bug; failing here beats rejecting every photo.
        for name in ("max_bytes", "max_pixels", "display_size", "thumb_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"PhotoLimits.{name} must be positive")


class PhotoRejected(ValueError):
    """An upload that is not an acceptable photo, with a stable ``code`` and a user-facing ``message``.

    Codes: ``empty``, ``too_large``, ``too_many_pixels``, ``not_an_image``, ``unsupported_format``,
    ``truncated``. Views and the API branch on the code; people read the message, which is a lazy
    translation so it renders in the request's language (zh_CN) even though the exception is raised
    outside any request. ``str(exc)`` is plain English that never needs Flask, so logging an exception
    can never itself fail.
    """

    code: str
    message: LazyString
    english: str

    def __init__(self, code: str, message: LazyString, english: str) -> None:
        super().__init__(code, english)
        self.code = code
        self.message = message
        self.english = english

    def __str__(self) -> str:
        return f"{self.code}: {self.english}"


@dataclass(frozen=True)
class ProcessedPhoto:
    """What the app keeps about an accepted photo.

    The original bytes are stored unchanged as evidence (``sha256`` identifies them); the facts come from
    the content, and the display copies carry no EXIF, GPS or ICC data, so showing a photo to an insurer
    or printing it in a decision never leaks where a household's fields are or what phone they own.
    """

    sha256: str
    format: str
    mime: str
    width: int
    height: int
    taken_at: datetime | None
    gps_lat: float | None
    gps_lon: float | None
    phash: str
    display_jpeg: bytes
    thumb_jpeg: bytes


def _reject(code: str, limits: PhotoLimits) -> PhotoRejected:
    """Build the rejection for ``code``. Every msgid is a literal ``_l(...)`` call so extraction finds it."""
    if code == "empty":
        return PhotoRejected(code, _l("The file is empty. Please choose a photo."), "the file is empty")
    if code == "too_large":
        limit_mb = _megabytes(limits.max_bytes)
        return PhotoRejected(
            code,
            _l("The photo is larger than %(limit)s MB. Please send a smaller photo.", limit=limit_mb),
            f"larger than {limits.max_bytes} bytes",
        )
    if code == "too_many_pixels":
        megapixels = f"{limits.max_pixels / 1_000_000:g}"
        return PhotoRejected(
            code,
            _l(
                "The photo has too many pixels (more than %(limit)s megapixels). Please send a smaller photo.",
                limit=megapixels,
            ),
            f"more than {limits.max_pixels} pixels",
        )
    if code == "not_an_image":
        return PhotoRejected(
            code,
            _l("This file is not a photo. Please choose a JPEG, PNG, WebP or HEIC photo."),
            "not an image",
        )
    if code == "unsupported_format":
        return PhotoRejected(
            code,
            _l("This kind of image is not accepted. Please send a JPEG, PNG, WebP or HEIC photo."),
            "image format not accepted",
        )
    if code == "truncated":
        return PhotoRejected(
            code,
            _l("The photo is incomplete or damaged, perhaps because the upload was interrupted. Please send it again."),
            "incomplete or damaged image data",
        )
    raise AssertionError(f"unknown rejection code {code!r}")


def _megabytes(size: int) -> str:
    """A limit in MB for people: '20', '0.5'; never '0' for a small test limit."""
    return f"{max(size / (1024 * 1024), 0.1):.1f}".removesuffix(".0")


def process_photo(data: bytes, limits: PhotoLimits = PhotoLimits()) -> ProcessedPhoto:
    """Check an upload and derive its facts and display copies, decoding the pixels exactly once.

    Raises :class:`PhotoRejected` for every kind of bad input. The cheap checks come first, so a bad
    upload costs as little as possible: length, then the header (format allowlist and pixel count), and
    only then decoding - at reduced size for JPEG, whose DCT scaling decodes a 4000x3000 photo at
    2000x1500 for well under half the time.

    Raises RuntimeError if ``ImageFile.LOAD_TRUNCATED_IMAGES`` has been switched on elsewhere in the
    process: Pillow would then pad broken uploads with grey and we could no longer refuse them, so we
    fail closed and loudly instead of accepting damaged evidence.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on; truncated uploads would be accepted")
    if not data:
        raise _reject("empty", limits)
    if len(data) > limits.max_bytes:
        raise _reject("too_large", limits)
    sha256 = hashlib.sha256(data).hexdigest()

    # Local warning policy, restored on exit: Pillow's bomb warning becomes an error, and every other
    # warning about a malformed upload (corrupt EXIF, odd palettes) is logged at debug level instead of
    # going to stderr - or, under a test runner that treats warnings as errors, escaping as an exception.
    # Note that catch_warnings swaps process-wide state and is not thread-safe before Python 3.14; the
    # explicit max_pixels check below does not depend on it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _process(data, sha256, limits)
        finally:
            for warning in caught:
                log.debug("photo %s: %s: %s", sha256[:12], warning.category.__name__, warning.message)


def _process(data: bytes, sha256: str, limits: PhotoLimits) -> ProcessedPhoto:
    image, fmt, mime = _open(data, limits)
    width, height = image.size

    if fmt == "JPEG":
        # Decode straight to (at least) the display size; draft() only ever reduces by 1/2, 1/4 or 1/8,
        # so the decoded image is never smaller than what we need.
        image.draft("RGB", _fit(width, height, limits.display_size))
    try:
        image.load()
    except _BOMB_ERRORS as exc:
        raise _reject("too_many_pixels", limits) from exc
    except _PARSE_ERRORS as exc:
        raise _reject("truncated", limits) from exc

    orientation, taken_at, gps_lat, gps_lon = _read_exif(image)
    if orientation in _SWAPS_SIDES:
        width, height = height, width

    try:
        display = _display_copy(image, limits.display_size, orientation)
        thumb_size = _fit(*display.size, limits.thumb_size)
        thumb = display.resize(thumb_size, Image.Resampling.BICUBIC, reducing_gap=2.0)
        phash = str(imagehash.phash(thumb))
        display_jpeg = _encode_jpeg(display)
        thumb_jpeg = _encode_jpeg(thumb)
    except _BOMB_ERRORS as exc:
        raise _reject("too_many_pixels", limits) from exc
    except _PARSE_ERRORS as exc:
        raise _reject("unsupported_format", limits) from exc

    return ProcessedPhoto(
        sha256=sha256,
        format=fmt,
        mime=mime,
        width=width,
        height=height,
        taken_at=taken_at,
        gps_lat=gps_lat,
        gps_lon=gps_lon,
        phash=phash,
        display_jpeg=display_jpeg,
        thumb_jpeg=thumb_jpeg,
    )


def _open(data: bytes, limits: PhotoLimits) -> tuple[ImageFile.ImageFile, str, str]:
    """Open the header with the allowed parsers only and enforce the pixel limit before any decoding."""
    try:
        image = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except _BOMB_ERRORS as exc:
        raise _reject("too_many_pixels", limits) from exc
    except UnidentifiedImageError as exc:
        raise _reject(_unidentified_code(data), limits) from exc
    except _PARSE_ERRORS as exc:
        # An allowed parser recognised the file, then choked on its header.
        raise _reject("truncated", limits) from exc

    accepted = _ACCEPTED.get(image.format or "")
    if accepted is None:  # defence in depth: Image.open was already restricted
        raise _reject("unsupported_format", limits)
    fmt, mime = accepted
    if fmt == "HEIF" and image.get_format_mimetype() == "image/heic":
        mime = "image/heic"

    width, height = image.size
    if width < 1 or height < 1:
        raise _reject("not_an_image", limits)
    if width * height > limits.max_pixels:
        raise _reject("too_many_pixels", limits)
    return image, fmt, mime


def _unidentified_code(data: bytes) -> str:
    """Choose the most helpful code for bytes that no allowed parser would open."""
    head = data[:32]
    brand = head[8:12] if head[4:8] == b"ftyp" else b""
    if head.startswith(_ALLOWED_SIGNATURES) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP") or brand in _HEIF_BRANDS:
        return "truncated"  # looks like an accepted format, but its header is broken or cut off
    if head.startswith(_OTHER_IMAGE_SIGNATURES) or brand in _OTHER_IMAGE_BRANDS:
        return "unsupported_format"
    return "not_an_image"


def _fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size with the longer side at most ``longest``, keeping the aspect ratio; never enlarges."""
    side = max(width, height)
    if side <= longest:
        return width, height
    scale = longest / side
    return max(1, round(width * scale)), max(1, round(height * scale))


def _display_copy(image: Image.Image, longest: int, orientation: int) -> Image.Image:
    """Downscale, flatten to RGB and turn upright; the result carries no metadata from the original."""
    source = _resizable(image)
    target = _fit(*source.size, longest)
    if source.size != target:
        source = source.resize(target, Image.Resampling.BICUBIC, reducing_gap=3.0)
    display = _flatten_rgb(source)
    method = _TRANSPOSE.get(orientation)
    if method is not None:
        display = display.transpose(method)
    if display is image:  # nothing above made a new image: copy so we can clear metadata safely
        display = display.copy()
    # resize/convert copy .info, which holds EXIF, ICC, XMP and JPEG comments; the JPEG encoder reads
    # the comment from it. Start the copies from nothing.
    display.info = {}
    return display


def _resizable(image: Image.Image) -> Image.Image:
    """Convert modes that Pillow cannot resample well (palette, 1-bit, 16-bit) before resizing."""
    mode = image.mode
    if mode in ("RGB", "L", "RGBA", "LA", "CMYK") and "transparency" not in image.info:
        return image
    if mode.startswith("I;16"):
        # 16-bit greyscale PNG: scale to 8 bits; convert("L") would clip everything above 255 to white.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode in ("P", "PA", "LA", "RGBA") or "transparency" in image.info:
        return image.convert("RGBA")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")


def _flatten_rgb(image: Image.Image) -> Image.Image:
    """RGB for the JPEG encoder; transparent areas become white rather than whatever colour hid there."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=_JPEG_QUALITY, progressive=True)
    return buffer.getvalue()


def _read_exif(image: Image.Image) -> tuple[int, datetime | None, float | None, float | None]:
    """Orientation, capture time and position, each ``None``/1 when absent or unreadable.

    Best effort by design: cheap phones write odd EXIF, and a damaged EXIF block must not cost a
    villager their evidence. (pillow-heif has already applied a HEIC's rotation and reports 1 here.)
    """
    try:
        exif = image.getexif()
    except _PARSE_ERRORS:
        return 1, None, None, None
    orientation = 1
    try:
        value = exif.get(_TAG_ORIENTATION, 1)
        if isinstance(value, int) and value in _TRANSPOSE:
            orientation = value
    except _PARSE_ERRORS:
        pass
    try:
        taken_at = _taken_at(exif)
    except _PARSE_ERRORS:
        taken_at = None
    try:
        gps_lat, gps_lon = _gps_position(exif)
    except _PARSE_ERRORS:
        gps_lat = gps_lon = None
    return orientation, taken_at, gps_lat, gps_lon


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal, else DateTime, in UTC.

    Phones write local wall-clock time; newer ones add the UTC offset. Without an offset we assume
    China's time, which is where these photos are taken.
    """
    sub = exif.get_ifd(_EXIF_IFD)
    candidates = (
        (sub.get(_TAG_DATETIME_ORIGINAL), sub.get(_TAG_OFFSET_TIME_ORIGINAL)),
        (exif.get(_TAG_DATETIME), sub.get(_TAG_OFFSET_TIME)),
    )
    for value, offset in candidates:
        moment = _parse_exif_time(_text(value), _text(offset))
        if moment is not None:
            return moment
    return None


def _parse_exif_time(value: str | None, offset: str | None) -> datetime | None:
    if not value:
        return None
    match = _EXIF_TIME.match(value)
    if match is None:
        return None
    tz = _parse_offset(offset) or CHINA_TZ
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)
    except (ValueError, OverflowError):  # "0000:00:00 00:00:00", month 13, year 1 east of UTC...
        return None


def _parse_offset(offset: str | None) -> timezone | None:
    if not offset:
        return None
    match = _UTC_OFFSET.match(offset)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    return value.strip("\x00 \t\r\n") or None


def _gps_position(exif: Image.Exif) -> tuple[float | None, float | None]:
    """Decimal degrees from the GPS IFD; both ``None`` unless both are plausible.

    (0, 0) is what some phones write when they have no fix, so it counts as no position.
    """
    gps = exif.get_ifd(_GPS_IFD)
    if not gps:
        return None, None
    lat = _coordinate(gps.get(_GPS_LATITUDE), gps.get(_GPS_LATITUDE_REF), "N", "S", 90.0)
    lon = _coordinate(gps.get(_GPS_LONGITUDE), gps.get(_GPS_LONGITUDE_REF), "E", "W", 180.0)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None, None
    return lat, lon


def _coordinate(value: object, ref: object, positive: str, negative: str, limit: float) -> float | None:
    """Degrees/minutes/seconds rationals (or fewer parts) and an N/S or E/W reference to signed degrees.

    A missing reference counts as positive (north/east, as everywhere in China); an unknown one, a
    zero denominator, a negative part or an out-of-range value makes the coordinate unusable.
    """
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers: list[float] = []
    for part in parts:
        number = _number(part)
        if number is None or number < 0:
            return None
        numbers.append(number)
    degrees, minutes, seconds = (*numbers, 0.0, 0.0)[:3]
    if minutes >= 60 or seconds >= 60:
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if result > limit:
        return None
    direction = _text(ref)
    if direction is None or direction.upper() == positive:
        return result
    if direction.upper() == negative:
        return -result
    return None


def _number(value: object) -> float | None:
    """A finite float from an EXIF number (IFDRational, int, float); text and broken rationals give None."""
    if isinstance(value, bool | str | bytes):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def phash_distance(a: str, b: str) -> int:
    """Hamming distance between two hex perceptual hashes: how many of their bits differ.

    Near-duplicate detection (the same photo sent for two claims) compares these; small distances mean
    visually the same picture even after re-compression or resizing.
    """
    if len(a) != len(b):
        raise ValueError("perceptual hashes of different lengths cannot be compared")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km, to compare where a photo was taken with where the damage is reported."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
