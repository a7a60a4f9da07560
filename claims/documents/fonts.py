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

import fcntl
import hashlib
import io
import json
import os
import subprocess
import tempfile
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


def _recorded() -> dict[str, object] | None:
    """The stamp beside the face, or None when there is none or it cannot be read (then the face is built again)."""
    try:
        stamp = json.loads(STAMP_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def usable_face() -> Path | None:
    """The common face, when it is there whole and was cut from the font installed now: a face left over from before
    an upgrade of fonts-noto-cjk, or one cut short, is not used (documents are set in the whole face until
    `flask documents fonts` runs again)."""
    stamp = _recorded()
    if stamp is None or _digest(FONT_PATH) != stamp.get("face_sha256"):
        return None
    try:
        source = Path(str(stamp["source"])).stat()
    except (KeyError, OSError):
        return None
    return FONT_PATH if (source.st_size, int(source.st_mtime)) == (stamp.get("size"), stamp.get("mtime")) else None


def build(*, force: bool = False) -> str:
    """Cut the common face from the installed one when it is missing or out of date; says what it did. Two builds at
    once take turns (a lock file), and each writes its own temporary file before it replaces the face."""
    found = find_font_file(SOURCE_FAMILY)
    face = (Path(found[0]), found[1]) if found else None
    if face is None:
        return f"{SOURCE_FAMILY} is not installed (scripts/system-deps.sh): documents use the fonts there are"
    chars = common_characters()
    stamp = _stamp(*face, chars)
    FONT_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(FONT_PATH.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recorded = _recorded()
        if not force and recorded is not None and {k: recorded.get(k) for k in stamp} == stamp and usable_face() is not None:
            return f"{FONT_PATH.name} is up to date"
        _cut(face, chars)
        stamp["face_sha256"] = _digest(FONT_PATH)
        _write_atomically(STAMP_PATH, json.dumps(stamp).encode())
    return f"{FONT_PATH.name}: {len(chars)} characters from {face[0].name}, {FONT_PATH.stat().st_size // 1024} KB"


def _cut(face: tuple[Path, int], chars: str) -> None:
    from fontTools import subset  # WeasyPrint's own dependency

    options = subset.Options()
    options.layout_features = ["*"]  # vertical forms, proportional figures: what the whole face offers
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.font_number = face[1]
    font = subset.load_font(str(face[0]), options)
    try:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
    finally:
        font.close()  # the collection's file, which fontTools' lazy reader keeps open
    _write_atomically(FONT_PATH, buffer.getvalue())


def _write_atomically(path: Path, data: bytes) -> None:
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
