"""The "save data" photo shrinking (static/js/photo-shrink.js) in the phone's browser: a large JPEG comes back at
2560 px on its longest side, upright, with its capture time and GPS position kept and Orientation set to 1, so the
server's evidence checks still work; a photo already small enough, or not a JPEG, is left alone (null).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image, ImageOps

from tests.browser.conftest import Phone

pytestmark = [pytest.mark.browser]

SCRIPT = "/static/js/photo-shrink.js"
LAST_MODIFIED = 1_715_934_600_000  # 2024-05-17 08:30 UTC, in ms as File.lastModified has it
TAKEN = "2024:05:17 16:30:00"
LATITUDE = (29.0, 21.0, 36.0)  # 29°21'36" N, near 南县
LONGITUDE = (112.0, 24.0, 0.0)  # 112°24'0" E
ORIENTATION, MAKE, EXIF_IFD, GPS_IFD, DATE_TIME_ORIGINAL = 0x0112, 0x010F, 0x8769, 0x8825, 0x9003
RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)

# A File built in the page from base64, given to shrink(); back comes null or the result's name, type,
# lastModified and bytes (base64).
SHRINK = """async ([b64, name, type, lastModified, maxSide]) => {
  const raw = atob(b64), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const result = await window.ClaimsPhotos.shrink(new File([bytes], name, {type, lastModified}), maxSide);
  if (result === null) return null;
  const out = new Uint8Array(await result.arrayBuffer());
  let text = '';
  for (let i = 0; i < out.length; i += 0x8000) text += String.fromCharCode.apply(null, out.subarray(i, i + 0x8000));
  return {name: result.name, type: result.type, lastModified: result.lastModified, b64: btoa(text)};
}"""


def camera_jpeg(width: int, height: int, *, exif: bool = True) -> bytes:
    """A photo as the phone's camera stores it: the left half red, the right half blue, a green square in the top
    left corner; with EXIF saying to turn it 90° clockwise for display (Orientation 6), when and where it was taken."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    image.paste(GREEN, (0, 0, width // 10, width // 10))
    out = io.BytesIO()
    if not exif:
        image.save(out, "JPEG", quality=90)
        return out.getvalue()
    tags = Image.Exif()
    tags[ORIENTATION] = 6
    tags[MAKE] = "Huawei"
    tags.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = TAKEN
    tags.get_ifd(GPS_IFD).update({1: "N", 2: LATITUDE, 3: "E", 4: LONGITUDE})
    image.save(out, "JPEG", quality=90, exif=tags)
    return out.getvalue()


def exif_segment(jpeg: bytes) -> bytes | None:
    """The APP1 Exif segment (marker included) of a JPEG's header, or None."""
    assert jpeg[:2] == b"\xff\xd8"
    i = 2
    while jpeg[i] == 0xFF and jpeg[i + 1] != 0xDA:
        end = i + 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
        if jpeg[i + 1] == 0xE1 and jpeg[i + 4 : i + 10] == b"Exif\0\0":
            return jpeg[i:end]
        i = end
    return None


def shrink(page: Any, data: bytes, name: str, mime: str = "image/jpeg", max_side: int | None = None) -> dict[str, Any] | None:
    return page.evaluate(SHRINK, [base64.b64encode(data).decode(), name, mime, LAST_MODIFIED, max_side])


def opened(result: dict[str, Any]) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(result["b64"])))
    assert image.format == "JPEG"
    image.load()  # the whole file decodes
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(pixel, colour, strict=True))


@pytest.fixture
def shrinking_page(phone: Phone) -> Iterator[Any]:
    phone.goto("/login")
    phone.page.add_script_tag(url=SCRIPT)  # a <script src>, which the page's CSP (script-src 'self') allows
    yield phone.page
    phone.assert_clean()  # no CSP violation, console error or failed request


def test_a_large_photo_comes_back_2560_px_upright_with_its_time_and_position(shrinking_page: Any) -> None:
    original = camera_jpeg(4000, 3000)
    result = shrink(shrinking_page, original, "IMG_20240517_163000.jpg")
    assert result is not None
    assert result["name"] == "IMG_20240517_163000.jpg"
    assert result["lastModified"] == LAST_MODIFIED
    assert result["type"] == "image/jpeg"
    image = opened(result)
    # Stored 4000x3000 and turned a quarter for display: 3000x4000 upright, so 1920x2560.
    assert image.size == (1920, 2560)

    exif = image.getexif()
    assert exif[ORIENTATION] == 1
    assert exif[MAKE] == "Huawei"
    assert exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] == TAKEN
    gps = exif.get_ifd(GPS_IFD)
    assert (gps[1], gps[3]) == ("N", "E")
    assert tuple(float(v) for v in gps[2]) == LATITUDE
    assert tuple(float(v) for v in gps[4]) == LONGITUDE
    # The EXIF is the original's byte for byte but for Orientation's value.
    before, after = exif_segment(original), exif_segment(base64.b64decode(result["b64"]))
    assert before is not None and after is not None and len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1  # 6 to 1: one byte in either byte order

    # Turned 90° clockwise: the stored left column is now the top row, so red above blue, and the green square of
    # the stored top left corner is at the top right.
    rgb = image.convert("RGB")
    assert near(rgb.getpixel((960, 400)), RED)
    assert near(rgb.getpixel((960, 2200)), BLUE)
    assert near(rgb.getpixel((1920 - 60, 60)), GREEN)
    assert near(rgb.getpixel((60, 60)), RED)
    # Pillow's own reading of Orientation 6 agrees, point for point.
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(original))).convert("RGB").resize((1920, 2560))
    for x, y in [(60, 60), (1860, 60), (960, 400), (960, 2200), (60, 2500), (1860, 2500)]:
        assert near(rgb.getpixel((x, y)), expected.getpixel((x, y))), (x, y)


def test_small_photos_and_other_formats_are_left_alone(shrinking_page: Any) -> None:
    assert shrink(shrinking_page, camera_jpeg(2000, 1500), "small.jpg") is None
    assert shrink(shrinking_page, camera_jpeg(2560, 1920), "exactly.jpg") is None
    png = io.BytesIO()
    Image.new("RGB", (4000, 3000), RED).save(png, "PNG")
    assert shrink(shrinking_page, png.getvalue(), "screenshot.png", "image/png") is None
    assert shrink(shrinking_page, b"\xff\xd8\xff\xe0 not really a photo", "broken.jpg") is None


def test_a_photo_without_exif_is_shrunk_all_the_same(shrinking_page: Any) -> None:
    original = camera_jpeg(3000, 4000, exif=False)
    assert exif_segment(original) is None
    result = shrink(shrinking_page, original, "scan.jpg")
    assert result is not None and result["name"] == "scan.jpg" and result["lastModified"] == LAST_MODIFIED
    image = opened(result)
    assert image.size == (1920, 2560)
    assert not image.getexif()
    rgb = image.convert("RGB")
    assert near(rgb.getpixel((400, 1280)), RED) and near(rgb.getpixel((1500, 1280)), BLUE)


def test_a_smaller_limit_is_honoured(shrinking_page: Any) -> None:
    result = shrink(shrinking_page, camera_jpeg(4000, 3000), "IMG_1.jpg", max_side=1280)
    assert result is not None
    assert opened(result).size == (960, 1280)
