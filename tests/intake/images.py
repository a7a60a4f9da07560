"""Test images made in memory, so the photo tests need no binary fixtures in the repository.

Each helper returns the bytes a phone (or an attacker) would upload. The images are deterministic (fixed
seeds), so perceptual-hash distances in the tests do not drift between runs.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

import numpy as np
import pillow_heif
from PIL import Image, ImageFilter
from PIL.TiffImagePlugin import IFDRational

pillow_heif.register_heif_opener()

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_ORIENTATION = 0x0112
TAG_DATETIME = 0x0132
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME = 0x9010
TAG_OFFSET_TIME_ORIGINAL = 0x9011


def photo_like(width: int = 400, height: int = 300, seed: int = 1) -> Image.Image:
    """An RGB image with large smooth shapes plus fine grain, so it hashes and compresses like a photo.

    Pure noise would make perceptual hashes meaningless and JPEGs unrealistically large; pure flat colour
    would make every image hash alike.
    """
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    base = Image.fromarray(coarse, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    grain = rng.normal(0, 12, size=(height, width, 3))
    pixels = np.clip(np.asarray(base, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def noisy_photo(width: int = 4000, height: int = 3000, seed: int = 7) -> Image.Image:
    """A benchmark-sized image: random noise blurred a little, which JPEG-encodes to roughly 4-5 MB."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return Image.fromarray(noise, "RGB").filter(ImageFilter.GaussianBlur(1.2))


def _rational(value: float) -> IFDRational:
    return IFDRational(round(value * 10000), 10000)


def _dms(decimal: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    # Work in ten-thousandths of a second so that rounding carries into minutes and degrees
    # (29.4 degrees must give 29 24' 0", not 29 23' 60.0", which readers reject).
    total = round(abs(decimal) * 3600 * 10000)
    degrees, rest = divmod(total, 3600 * 10000)
    minutes, seconds = divmod(rest, 60 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def make_exif(
    *,
    orientation: int | None = None,
    taken: datetime | str | None = None,
    offset: str | None = None,
    datetime_tag: datetime | str | None = None,
    gps: tuple[float, float] | None = None,
    gps_raw: dict[int, object] | None = None,
) -> Image.Exif:
    """Build an EXIF block the way phones write it: orientation and DateTime in IFD0, capture time and
    its UTC offset in the Exif IFD, position as degree/minute/second rationals with N/S and E/W refs."""
    exif = Image.Exif()
    if orientation is not None:
        exif[TAG_ORIENTATION] = orientation
    if datetime_tag is not None:
        exif[TAG_DATETIME] = _exif_time(datetime_tag)
    if taken is not None or offset is not None:
        sub = exif.get_ifd(EXIF_IFD)
        if taken is not None:
            sub[TAG_DATETIME_ORIGINAL] = _exif_time(taken)
        if offset is not None:
            sub[TAG_OFFSET_TIME_ORIGINAL] = offset
    if gps is not None or gps_raw is not None:
        gps_ifd = exif.get_ifd(GPS_IFD)
        if gps is not None:
            lat, lon = gps
            gps_ifd[1] = "N" if lat >= 0 else "S"
            gps_ifd[2] = _dms(lat)
            gps_ifd[3] = "E" if lon >= 0 else "W"
            gps_ifd[4] = _dms(lon)
        if gps_raw is not None:
            gps_ifd.update(gps_raw)
    return exif


def _exif_time(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.strftime("%Y:%m:%d %H:%M:%S")


def encode(image: Image.Image, fmt: str, exif: Image.Exif | None = None, **params: object) -> bytes:
    """Encode with Pillow (or pillow-heif for HEIF), attaching EXIF when given."""
    buffer = io.BytesIO()
    if exif is not None:
        params["exif"] = exif.tobytes()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg_bytes(
    width: int = 400,
    height: int = 300,
    *,
    seed: int = 1,
    quality: int = 90,
    exif: Image.Exif | None = None,
    **params: object,
) -> bytes:
    return encode(photo_like(width, height, seed), "JPEG", exif, quality=quality, **params)


def png_bytes(width: int = 400, height: int = 300, *, seed: int = 1, mode: str = "RGB") -> bytes:
    image = photo_like(width, height, seed)
    if mode != "RGB":
        image = image.convert(mode)
    return encode(image, "PNG")


def webp_bytes(width: int = 400, height: int = 300, *, seed: int = 1, exif: Image.Exif | None = None) -> bytes:
    return encode(photo_like(width, height, seed), "WEBP", exif, quality=85)


def heic_bytes(width: int = 400, height: int = 300, *, seed: int = 1, exif: Image.Exif | None = None) -> bytes:
    return encode(photo_like(width, height, seed), "HEIF", exif, quality=80)


def gif_bytes() -> bytes:
    return encode(photo_like(64, 48).convert("P"), "GIF")


def bmp_bytes() -> bytes:
    return encode(photo_like(64, 48), "BMP")


def tiff_bytes() -> bytes:
    return encode(photo_like(64, 48), "TIFF")


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    """The first part of a file, as left by an upload that broke off."""
    return data[: int(len(data) * fraction)]


def elf_program() -> bytes:
    """The start of a Linux executable, as if someone renamed a program to photo.jpg."""
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHI", 2, 0x3E, 1)
    return header + b"\x00" * 40 + bytes(range(256)) * 8


def mz_program() -> bytes:
    """The start of a Windows executable (DOS MZ stub)."""
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + stub * 20


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@lru_cache(maxsize=4)
def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit greyscale PNG of width x height pixels, a few tens of KB on disk.

    Written chunk by chunk with a streaming compressor, because letting Pillow build it would itself
    allocate width*height bytes (mode "1" keeps one byte per pixel in memory): 400 MB for 20000x20000.
    """
    row = b"\x00" + bytes((width + 7) // 8)  # filter type 0, then all-black packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b"")


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is rewritten to claim width x height.

    Pillow reads the size from this header alone, so it exercises the pixel limits without any real
    pixel data behind it.
    """
    data = bytearray(encode(photo_like(64, 48), "JPEG", quality=75))
    sof = data.find(b"\xff\xc0")
    if sof < 0:
        raise AssertionError("no baseline SOF0 marker in Pillow's JPEG")
    # marker (2) + length (2) + precision (1), then height and width, big-endian.
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def mutate(data: bytes, operations: Sequence[tuple[str, int, int]]) -> bytes:
    """Apply (kind, position, value) edits: flip xors a byte, insert adds one, delete removes a run."""
    buffer = bytearray(data)
    for kind, position, value in operations:
        if not buffer:
            buffer.append(value & 0xFF)
            continue
        index = position % (len(buffer) + (1 if kind == "insert" else 0))
        if kind == "flip":
            buffer[index % len(buffer)] ^= (value % 255) + 1
        elif kind == "insert":
            buffer.insert(index, value & 0xFF)
        elif kind == "delete":
            del buffer[index : index + 1 + value % 64]
        elif kind == "truncate":
            del buffer[index:]
        else:
            raise ValueError(kind)
    return bytes(buffer)


def mpo_bytes(exif: Image.Exif | None = None) -> bytes:
    """A multi-picture JPEG (primary photo plus a second frame), as many phones write for previews."""
    buffer = io.BytesIO()
    primary = photo_like(400, 300, 1)
    params: dict[str, object] = {"save_all": True, "append_images": [photo_like(200, 150, 2)]}
    if exif is not None:
        params["exif"] = exif.tobytes()
    primary.save(buffer, "MPO", **params)
    return buffer.getvalue()


def malformed_mpo() -> bytes:
    """A multi-picture JPEG whose MP index is unreadable: Pillow opens it as a plain JPEG with a warning."""
    data = bytearray(mpo_bytes())
    index = data.find(b"MPF\x00")
    if index < 0:
        raise AssertionError("no MPF segment in Pillow's MPO")
    data[index + 4 : index + 8] = b"XXXX"  # destroy the TIFF header of the MP index
    return bytes(data)


def corrupt_exif_jpeg() -> bytes:
    """A JPEG with an APP1 'Exif' segment full of junk, as some cheap phones write."""
    data = jpeg_bytes()
    junk = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05" + bytes(range(200))
    segment = b"\xff\xe1" + (len(junk) + 2).to_bytes(2, "big") + junk
    return data[:2] + segment + data[2:]


def halves(top: tuple[int, int, int], bottom: tuple[int, int, int], width: int = 400, height: int = 300) -> Image.Image:
    """Top half one colour, bottom half another: after a rotation one can tell which way it turned."""
    image = Image.new("RGB", (width, height), bottom)
    image.paste(top, (0, 0, width, height // 2))
    return image
