"""The print font's common characters as a face of their own, which every document is set in first.

WeasyPrint subsets each face a document uses (HarfBuzz) for every document it writes, and reads the whole font file
to do it: for Noto Serif CJK SC, a face of 65,535 glyphs in a 26 MB collection, that was about 40 % of a decision's
rendering. This module cuts from the installed face (fonts-noto-cjk, scripts/system-deps.sh) the characters that
documents nearly always hold, into a font of about 7,600 glyphs and 5 MB: GB 2312 (6,763 hanzi, the symbols,
full-width forms), ASCII, the punctuation of the templates, and every character of the shipped region and species
names and of the Chinese catalog. print.css's face list puts it first (claims.documents.pdf.print_stylesheet); a
character beyond it (a rare name: 喆, 堃, 𠀀) is drawn from the whole Noto face, then HanaMin, as before, so a
document holds exactly the glyphs it did, only from a smaller face.

Built by `flask documents fonts` (`make fonts`, part of `make run` and `make test`) into FONT_PATH, next to this
file; a document is rendered without it (the whole face only, slower) when it is not there. The source face and the
characters are recorded in a stamp beside it, so a change of either builds it again.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from claims.core import ROOT

FAMILY = "Noto Serif CJK SC Common"  # the @font-face family; PDFs name it Noto-Serif-CJK-SC-Common
SOURCE_FAMILY = "Noto Serif CJK SC"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "noto-serif-cjk-sc-common.otf"
STAMP_PATH = FONT_PATH.with_suffix(".json")

# Punctuation and signs the templates and data use that GB 2312 lacks or maps elsewhere (U+2014 em dash: GB 2312's
# A1AA decodes as U+2015), the CJK symbols block and the full-width forms whole.
EXTRA = (
    "\u00a0\u00a5\u00b0\u00b1\u00b7\u00d7\u00f7\u2013\u2014\u2015\u2018\u2019\u201c\u201d\u2022\u2026\u2030\u2103\u2116"
    "\u25a1\u25cb\u2713\u2714\u2717\u3007\uffe5" + "".join(chr(c) for c in range(0x3000, 0x3040)) + "".join(chr(c) for c in range(0xFF01, 0xFF5F))
)
DATA_FILES = (
    ROOT / "claims" / "regions" / "data" / "regions.json",
    ROOT / "claims" / "regions" / "data" / "divisions.csv",  # every county of the country (not the 40,000 townships)
    ROOT / "claims" / "regions" / "data" / "species.json",
    ROOT / "claims" / "translations" / "zh" / "LC_MESSAGES" / "messages.po",
)


def common_characters() -> str:
    """GB 2312, ASCII, EXTRA, and the characters of the shipped names (counties, demo places, species) and the catalog: sorted, each once."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | set(EXTRA)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    for path in DATA_FILES:
        if path.is_file():
            chars |= {c for c in path.read_text(encoding="utf-8") if ord(c) >= 0x2E80}  # CJK and later: names, terms
    return "".join(sorted(chars))


def find_font_file(face: str) -> tuple[str, int] | None:
    """(path, index in a collection) of an installed face, from fontconfig (which also finds it for WeasyPrint)."""
    try:
        query = ["fc-match", "-f", "%{file}\n%{index}\n%{family}", face]  # fontconfig's own tool, on the PATH as for WeasyPrint
        found = subprocess.run(query, capture_output=True, text=True, timeout=30, check=True)  # noqa: S603 - fixed arguments
    except (OSError, subprocess.SubprocessError):
        return None
    path, index, family = [*found.stdout.split("\n"), "", "", ""][:3]
    return (path, int(index or 0)) if face in family.split(",") and Path(path).is_file() else None  # not a stand-in


def _stamp(source: Path, index: int, chars: str) -> dict[str, object]:
    stat = source.stat()
    return {"source": str(source), "index": index, "size": stat.st_size, "mtime": int(stat.st_mtime), "chars": hashlib.sha256(chars.encode()).hexdigest()}


def build(*, force: bool = False) -> str:
    """Cut the common face from the installed one when it is missing or out of date; says what it did."""
    found = find_font_file(SOURCE_FAMILY)
    face = (Path(found[0]), found[1]) if found else None
    if face is None:
        return f"{SOURCE_FAMILY} is not installed (scripts/system-deps.sh): documents use the fonts there are"
    chars = common_characters()
    stamp = _stamp(*face, chars)
    if not force and FONT_PATH.is_file() and STAMP_PATH.is_file() and json.loads(STAMP_PATH.read_text()) == stamp:
        return f"{FONT_PATH.name} is up to date"
    from fontTools import subset  # WeasyPrint's own dependency

    options = subset.Options()
    options.layout_features = ["*"]  # vertical forms, proportional figures: what the whole face offers
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.font_number = face[1]
    font = subset.load_font(str(face[0]), options)
    partial = FONT_PATH.with_suffix(".tmp")
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        FONT_PATH.parent.mkdir(parents=True, exist_ok=True)
        subset.save_font(font, str(partial), options)
    finally:
        font.close()  # the collection's file, which fontTools' lazy reader keeps open
    partial.replace(FONT_PATH)
    STAMP_PATH.write_text(json.dumps(stamp))
    return f"{FONT_PATH.name}: {len(chars)} characters from {face[0].name}, {FONT_PATH.stat().st_size // 1024} KB"
