"""Tests for claims.intake.photos: uploads are judged by content, bombs and broken files are refused
cheaply, facts are read correctly, and the copies we show carry no metadata (quality.md items 14 and 17).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import resource
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask
from flask_babel import Babel, LazyString
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageFile
from PIL.TiffImagePlugin import IFDRational

from claims.intake.photos import (
    PhotoLimits,
    PhotoRejected,
    ProcessedPhoto,
    haversine_km,
    phash_distance,
    process_photo,
)


def _load_images_helper() -> ModuleType:
    # Loaded by path under a unique name: tests/ has no __init__.py, and a bare "import images" would
    # depend on pytest's import mode and could collide with another folder's helper of the same name.
    name = "tests_intake_images"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("images.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


img = _load_images_helper()

RED = (255, 0, 0)
BLUE = (0, 0, 255)
CODES = {"empty", "too_large", "too_many_pixels", "not_an_image", "unsupported_format", "truncated"}


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rejection(data: bytes, limits: PhotoLimits | None = None) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as info:
        process_photo(data, limits or PhotoLimits())
    assert info.value.code in CODES
    return info.value


def close_to(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


# --- accepted photos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "fmt", "mime"),
    [
        (img.jpeg_bytes, "JPEG", "image/jpeg"),
        (img.png_bytes, "PNG", "image/png"),
        (img.webp_bytes, "WEBP", "image/webp"),
        (img.heic_bytes, "HEIF", "image/heic"),
    ],
)
def test_accepts_allowed_formats(make, fmt, mime):
    data = make(400, 300)
    photo = process_photo(data)
    assert isinstance(photo, ProcessedPhoto)
    assert (photo.format, photo.mime) == (fmt, mime)
    assert (photo.width, photo.height) == (400, 300)
    assert len(photo.phash) == 16
    int(photo.phash, 16)
    display, thumb = reopen(photo.display_jpeg), reopen(photo.thumb_jpeg)
    assert display.format == thumb.format == "JPEG"
    assert display.mode == thumb.mode == "RGB"
    assert display.size == (400, 300)  # never enlarged
    assert thumb.size == (320, 240)
    assert display.info.get("progressive") == 1


def test_large_photo_is_scaled_to_display_and_thumb_sizes():
    photo = process_photo(img.jpeg_bytes(3000, 2000))
    assert (photo.width, photo.height) == (3000, 2000)
    assert reopen(photo.display_jpeg).size == (1280, 853)
    assert reopen(photo.thumb_jpeg).size == (320, 213)


def test_multi_picture_jpeg_is_accepted_as_jpeg():
    photo = process_photo(img.mpo_bytes(img.make_exif(orientation=8)))
    assert (photo.format, photo.mime) == ("JPEG", "image/jpeg")
    assert (photo.width, photo.height) == (300, 400)


def test_malformed_mpo_is_accepted_and_pillow_warning_does_not_escape():
    # Pillow warns about this file. Under a "warnings are errors" policy (as in setup.cfg) the warning must
    # stay inside process_photo rather than turn a usable photo into a crash.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        photo = process_photo(img.malformed_mpo())
    assert photo.format == "JPEG"


def test_corrupt_exif_does_not_cost_the_photo():
    photo = process_photo(img.corrupt_exif_jpeg())
    assert (photo.width, photo.height, photo.taken_at, photo.gps_lat) == (400, 300, None, None)


def test_transparent_areas_become_white_not_black():
    image = Image.new("RGBA", (100, 80), (255, 0, 0, 0))  # red, but fully transparent
    photo = process_photo(img.encode(image, "PNG"))
    assert close_to(reopen(photo.display_jpeg).getpixel((50, 40)), (255, 255, 255), 8)


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    image = Image.new("I;16", (60, 40), 0x8000)  # mid grey in 16 bits
    photo = process_photo(img.encode(image, "PNG"))
    assert close_to(reopen(photo.display_jpeg).getpixel((30, 20)), (128, 128, 128), 4)


def test_palette_png_is_accepted():
    photo = process_photo(img.png_bytes(mode="P"))
    assert photo.format == "PNG"
    assert reopen(photo.display_jpeg).mode == "RGB"


# --- orientation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "size", "red_at", "blue_at"),
    [
        (1, (400, 300), (200, 10), (200, 290)),  # as stored: red on top
        (3, (400, 300), (200, 290), (200, 10)),  # turned 180 degrees: red at the bottom
        (6, (300, 400), (290, 200), (10, 200)),  # turned 90 degrees clockwise: red on the right
        (8, (300, 400), (10, 200), (290, 200)),  # turned 90 degrees anticlockwise: red on the left
    ],
)
def test_exif_orientation_is_applied(orientation, size, red_at, blue_at):
    exif = img.make_exif(orientation=orientation)
    data = img.encode(img.halves(RED, BLUE), "JPEG", exif, quality=90)
    photo = process_photo(data)
    assert (photo.width, photo.height) == size
    display = reopen(photo.display_jpeg)
    assert display.size == size
    assert close_to(display.getpixel(red_at), RED)
    assert close_to(display.getpixel(blue_at), BLUE)
    thumb = reopen(photo.thumb_jpeg)
    assert (thumb.width > thumb.height) == (size[0] > size[1])


def test_portrait_jpeg_with_orientation_6():
    photo = process_photo(img.jpeg_bytes(400, 300, exif=img.make_exif(orientation=6)))
    assert (photo.width, photo.height) == (300, 400)
    display = reopen(photo.display_jpeg)
    assert display.height > display.width
    assert reopen(photo.thumb_jpeg).size == (240, 320)


def test_heic_rotation_is_applied_once():
    # pillow-heif turns EXIF orientation into the HEIF rotation on save and applies it on load, then reports
    # orientation 1; rotating again would lay the photo on its side.
    photo = process_photo(img.heic_bytes(400, 300, exif=img.make_exif(orientation=6)))
    assert (photo.width, photo.height) == (300, 400)
    assert reopen(photo.display_jpeg).size == (300, 400)


# --- metadata --------------------------------------------------------------------------------------------


def test_display_and_thumb_copies_carry_no_metadata():
    exif = img.make_exif(
        orientation=6,
        taken="2024:06:15 14:30:00",
        gps=(28.2282, 112.9388),
        datetime_tag="2024:06:15 14:31:00",
    )
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = img.jpeg_bytes(exif=exif, icc_profile=icc, comment=b"Zhang San, field 7", xmp=b"<x:xmpmeta/>")
    original = reopen(data)
    assert original.getexif() and "icc_profile" in original.info and "comment" in original.info  # sanity

    photo = process_photo(data)
    for copy in (photo.display_jpeg, photo.thumb_jpeg):
        image = reopen(copy)
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
        for key in ("exif", "icc_profile", "comment", "xmp"):
            assert key not in image.info
        assert b"Exif" not in copy
        assert b"Zhang San" not in copy
        assert b"ICC_PROFILE" not in copy


def test_sha256_is_of_the_original_bytes():
    data = img.jpeg_bytes()
    assert process_photo(data).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("exif", "expected"),
    [
        # naive local time is China's: 14:30 in Beijing is 06:30 UTC
        (img.make_exif(taken="2024:06:15 14:30:00"), datetime(2024, 6, 15, 6, 30, tzinfo=UTC)),
        (
            img.make_exif(taken="2024:06:15 14:30:00", offset="-05:00"),
            datetime(2024, 6, 15, 19, 30, tzinfo=UTC),
        ),
        (
            img.make_exif(taken="2024:06:15 14:30:00", offset="+08:00"),
            datetime(2024, 6, 15, 6, 30, tzinfo=UTC),
        ),
        # DateTimeOriginal wins over DateTime (the last edit)
        (
            img.make_exif(taken="2024:06:15 14:30:00", datetime_tag="2024:07:01 09:00:00"),
            datetime(2024, 6, 15, 6, 30, tzinfo=UTC),
        ),
        # fallback to DateTime when there is no DateTimeOriginal
        (img.make_exif(datetime_tag="2024:01:01 00:10:00"), datetime(2023, 12, 31, 16, 10, tzinfo=UTC)),
        # broken values give no time rather than a wrong one
        (img.make_exif(taken="0000:00:00 00:00:00"), None),
        (img.make_exif(taken="2024:13:45 99:00:00"), None),
        (img.make_exif(taken="yesterday"), None),
        # an unusable offset falls back to China time
        (
            img.make_exif(taken="2024:06:15 14:30:00", offset="+99:00"),
            datetime(2024, 6, 15, 6, 30, tzinfo=UTC),
        ),
        (img.make_exif(), None),
    ],
)
def test_taken_at(exif, expected):
    taken_at = process_photo(img.jpeg_bytes(exif=exif)).taken_at
    assert taken_at == expected
    if taken_at is not None:
        assert taken_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("make", "lat", "lon"),
    [
        (img.jpeg_bytes, -33.8688, -151.2093),  # south and west are negative
        (img.jpeg_bytes, 28.2282, 112.9388),  # Changsha
        (img.webp_bytes, 25.0443, 102.7100),  # Kunming
        (img.heic_bytes, 46.0, -0.5),
    ],
)
def test_gps_position(make, lat, lon):
    photo = process_photo(make(exif=img.make_exif(gps=(lat, lon))))
    assert photo.gps_lat == pytest.approx(lat, abs=1e-6)
    assert photo.gps_lon == pytest.approx(lon, abs=1e-6)


@pytest.mark.parametrize(
    "gps",
    [
        {1: "N", 2: (IFDRational(1, 0), IFDRational(0, 1), IFDRational(0, 1)), 3: "E", 4: (120.0, 0.0, 0.0)},
        {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (120.0, 0.0, 0.0)},  # latitude beyond the pole
        {1: "N", 2: (30.0, 75.0, 0.0), 3: "E", 4: (120.0, 0.0, 0.0)},  # 75 minutes
        {1: "X", 2: (30.0, 0.0, 0.0), 3: "E", 4: (120.0, 0.0, 0.0)},  # unknown reference
        {1: "N", 2: (30.0, 0.0, 0.0)},  # no longitude
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # "no fix" written as 0, 0
        {1: "N", 2: (30.0, 0.0, 0.0, 1.0), 3: "E", 4: (120.0, 0.0, 0.0)},  # four parts
    ],
)
def test_broken_gps_gives_no_position(gps):
    photo = process_photo(img.jpeg_bytes(exif=img.make_exif(gps_raw=gps)))
    assert (photo.gps_lat, photo.gps_lon) == (None, None)


def test_gps_without_reference_is_taken_as_north_east():
    photo = process_photo(img.jpeg_bytes(exif=img.make_exif(gps_raw={2: (30.5, 0.0, 0.0), 4: (114.25,)})))
    assert (photo.gps_lat, photo.gps_lon) == (30.5, 114.25)


# --- perceptual hash and distance --------------------------------------------------------------------------


def test_phash_survives_recompression_and_separates_other_photos():
    first = process_photo(img.jpeg_bytes(800, 600, seed=1, quality=95)).phash
    recompressed = process_photo(img.jpeg_bytes(800, 600, seed=1, quality=40)).phash
    as_png = process_photo(img.png_bytes(800, 600, seed=1)).phash
    other = process_photo(img.jpeg_bytes(800, 600, seed=2, quality=95)).phash
    assert phash_distance(first, recompressed) <= 8
    assert phash_distance(first, as_png) <= 8
    assert phash_distance(first, other) > 20


def test_phash_distance():
    assert phash_distance("0000000000000000", "0000000000000000") == 0
    assert phash_distance("0000000000000000", "ffffffffffffffff") == 64
    assert phash_distance("8000000000000001", "0000000000000000") == 2
    assert phash_distance("ABCDEF0123456789", "abcdef0123456789") == 0
    with pytest.raises(ValueError):
        phash_distance("00", "0000")
    with pytest.raises(ValueError):
        phash_distance("zz", "00")


def test_haversine_km():
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    assert haversine_km(*beijing, *shanghai) == pytest.approx(1067, abs=5)
    assert haversine_km(*shanghai, *beijing) == pytest.approx(haversine_km(*beijing, *shanghai))
    assert haversine_km(*beijing, *beijing) == 0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015, abs=5)  # half the equator
    assert haversine_km(28.0, 113.0, 28.009, 113.0) == pytest.approx(1.0, abs=0.01)  # 0.009 degrees ~ 1 km


# --- rejections ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (img.elf_program(), "not_an_image"),
        (img.mz_program(), "not_an_image"),
        (b"%PDF-1.7\n" + b"x" * 500, "not_an_image"),
        ("一张照片".encode() * 100, "not_an_image"),
        (img.gif_bytes(), "unsupported_format"),
        (img.bmp_bytes(), "unsupported_format"),
        (img.tiff_bytes(), "unsupported_format"),
        (img.truncated(img.jpeg_bytes()), "truncated"),
        (img.truncated(img.jpeg_bytes(progressive=True)), "truncated"),
        (img.truncated(img.png_bytes()), "truncated"),
        (img.truncated(img.webp_bytes()), "truncated"),
        (img.truncated(img.heic_bytes()), "truncated"),
        (img.jpeg_bytes()[:20], "truncated"),  # the upload broke off inside the header
    ],
    ids=[
        "empty",
        "elf",
        "mz",
        "pdf",
        "text",
        "gif",
        "bmp",
        "tiff",
        "jpeg-half",
        "progressive-jpeg-half",
        "png-half",
        "webp-half",
        "heic-half",
        "jpeg-header-only",
    ],
)
def test_rejections(data, code):
    assert rejection(data).code == code


def test_png_bomb_is_refused_from_the_header_without_decoding(decoded):
    bomb = img.png_bomb(20000, 20000)  # 400 megapixels in a few tens of KB
    assert len(bomb) < 200_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    assert rejection(bomb).code == "too_many_pixels"
    assert decoded == []  # no pixel was decoded
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100 * 1024  # < 100 MB more


def test_pillow_bomb_warning_becomes_a_rejection_and_filters_are_restored():
    # With our own limit set above Pillow's, Pillow's checks are what stop these: its warning (between about
    # 89 and 179 megapixels) must act as an error, its error must map to the same code.
    filters_before = list(warnings.filters)
    warned = rejection(img.jpeg_claiming_size(10000, 10000), PhotoLimits(max_pixels=10**9))
    assert warned.code == "too_many_pixels"
    assert isinstance(warned.__cause__, Image.DecompressionBombWarning)
    errored = rejection(img.jpeg_claiming_size(20000, 20000), PhotoLimits(max_pixels=10**10))
    assert errored.code == "too_many_pixels"
    assert isinstance(errored.__cause__, Image.DecompressionBombError)
    assert warnings.filters == filters_before


def test_too_large_is_refused_before_parsing(opened):
    assert rejection(b"\xff\xd8\xff" + bytes(40 * 1024 * 1024)).code == "too_large"
    assert opened == []  # not even the header was read


def test_limits_are_configurable():
    data = img.jpeg_bytes(400, 300)
    assert rejection(data, PhotoLimits(max_bytes=len(data) - 1)).code == "too_large"
    process_photo(data, PhotoLimits(max_bytes=len(data)))
    assert rejection(data, PhotoLimits(max_pixels=400 * 300 - 1)).code == "too_many_pixels"
    process_photo(data, PhotoLimits(max_pixels=400 * 300))

    photo = process_photo(img.jpeg_bytes(1000, 500), PhotoLimits(display_size=200, thumb_size=50))
    assert reopen(photo.display_jpeg).size == (200, 100)
    assert reopen(photo.thumb_jpeg).size == (50, 25)
    assert (photo.width, photo.height) == (1000, 500)  # facts are about the original


@pytest.mark.parametrize("field", ["max_bytes", "max_pixels", "display_size", "thumb_size"])
def test_nonsense_limits_fail_at_configuration(field):
    with pytest.raises(ValueError, match=field):
        PhotoLimits(**{field: 0})


def test_truncated_images_are_never_loaded_leniently(monkeypatch):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # importing the module must not switch it on
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process_photo(img.truncated(img.jpeg_bytes()))


# --- messages --------------------------------------------------------------------------------------------


def _rejections_of_every_kind() -> list[PhotoRejected]:
    samples = [
        (b"", PhotoLimits()),
        (b"x" * 11, PhotoLimits(max_bytes=10)),
        (img.jpeg_claiming_size(20000, 20000), PhotoLimits()),
        (img.elf_program(), PhotoLimits()),
        (img.gif_bytes(), PhotoLimits()),
        (img.truncated(img.jpeg_bytes()), PhotoLimits()),
    ]
    found = [rejection(data, limits) for data, limits in samples]
    assert {r.code for r in found} == CODES
    return found


@pytest.fixture
def babel_app(tmp_path):
    """A tiny Flask app with Flask-Babel and a zh_CN catalog translating one message."""
    catalog = Catalog(locale="zh_CN")
    catalog.add(
        "This file is not a photo. Please choose a JPEG, PNG, WebP or HEIC photo.",
        "这个文件不是照片。请选择 JPEG、PNG、WebP 或 HEIC 格式的照片。",
    )
    # Babel expands the locale "zh_CN" to "zh_Hans_CN", and gettext then looks in zh_Hans_CN/ or zh/ -
    # never in zh_CN/. The app's catalog must live in one of those folders too.
    target = tmp_path / "zh_Hans_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    app = Flask(__name__)
    app.config["LANGUAGE"] = "en"  # what the locale selector answers; a test switches it to zh_CN
    Babel(app, default_translation_directories=str(tmp_path), locale_selector=lambda: app.config["LANGUAGE"])
    return app


def test_messages_are_lazy_and_render_in_the_request_language(babel_app):
    found = _rejections_of_every_kind()  # raised outside any app, as in a worker or a test
    for rejected in found:
        assert isinstance(rejected.message, LazyString)
        assert str(rejected.message)  # plain English outside an app context
    with babel_app.test_request_context():
        for rejected in found:
            assert str(rejected.message).isascii()
            assert "%(" not in str(rejected.message)
    # Flask-Babel picks the locale once per request; the same exception object renders in the new one.
    babel_app.config["LANGUAGE"] = "zh_CN"
    with babel_app.test_request_context():
        not_an_image = next(r for r in found if r.code == "not_an_image")
        assert str(not_an_image.message).startswith("这个文件不是照片")
        truncated = next(r for r in found if r.code == "truncated")
        assert str(truncated.message).startswith("The photo is incomplete")  # untranslated: English msgid


def test_limits_appear_in_messages():
    too_large = rejection(bytes(10 * 1024 * 1024), PhotoLimits(max_bytes=10 * 1024 * 1024 - 1))
    assert "10 MB" in str(too_large.message)
    too_many = rejection(img.jpeg_bytes(), PhotoLimits(max_pixels=12_000))
    assert "0.012 megapixels" in str(too_many.message)


def test_str_of_a_rejection_never_needs_flask_babel():
    # Flask-Babel's lazy strings raise KeyError('babel') inside an app that has not initialised it; logging
    # an exception must not depend on that.
    app = Flask(__name__)
    rejected = rejection(img.elf_program())
    with app.app_context():
        assert str(rejected) == "not_an_image: not an image"
        assert rejected.code == "not_an_image"


# --- fuzzing ---------------------------------------------------------------------------------------------

_EXIF = img.make_exif(orientation=6, taken="2024:06:15 14:30:00", gps=(-33.8, 151.2))
_SEEDS = [
    img.jpeg_bytes(48, 32, exif=_EXIF),
    img.jpeg_bytes(48, 32, exif=_EXIF, progressive=True),
    img.png_bytes(48, 32),
    img.png_bytes(48, 32, mode="P"),
    img.png_bytes(48, 32, mode="RGBA"),
    img.webp_bytes(48, 32, exif=_EXIF),
    img.heic_bytes(48, 32, exif=_EXIF),
]
_MAGIC = [
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xe1",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"GIF89a",
]

_edits = st.lists(
    st.tuples(
        st.sampled_from(["flip", "flip", "flip", "insert", "delete", "truncate"]),
        # mostly in the headers, where the parsers make their decisions, sometimes anywhere
        st.one_of(st.integers(0, 400), st.integers(0, 1 << 20)),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=8,
)
_uploads = st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.sampled_from(_MAGIC), st.binary(max_size=2048)).map(b"".join),
    st.tuples(st.sampled_from(_SEEDS), _edits).map(lambda pair: img.mutate(*pair)),
)


@settings(
    max_examples=200,
    deadline=timedelta(seconds=3),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=_uploads)
def test_any_bytes_give_a_photo_or_a_rejection(data):
    try:
        result = process_photo(data)
    except PhotoRejected as rejected:
        event(f"rejected: {rejected.code}")
        assert rejected.code in CODES
        assert str(rejected.message)
    else:
        event("accepted")
        assert isinstance(result, ProcessedPhoto)
        assert reopen(result.display_jpeg).mode == "RGB"
