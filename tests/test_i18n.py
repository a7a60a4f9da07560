"""Translations: every user-facing string has a Chinese translation that keeps its placeholders, the
default language is Chinese and English can be chosen, and every template compiles.

The strings are extracted from the current sources exactly as `make messages` does (babel.cfg and the
Makefile's BABEL_KEYWORDS and BABEL_IGNORE_DIRS), so a new `_()` anywhere fails here until it is translated in
claims/translations/zh/LC_MESSAGES/messages.po. The conftest compiles the catalog before the app starts.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "claims" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
HOW_TO_FIX = f"run `make messages`, translate these entries in {ZH_PO.relative_to(ROOT)} (not fuzzy), then `make translations`"

# A printf-style conversion as Python's % operator reads it, including the literal %%.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")


def _keywords() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^BABEL_KEYWORDS\s*:=(.*)$", makefile, re.MULTILINE)
    assert match, "the Makefile has no BABEL_KEYWORDS line; this test extracts with the same keywords as `make messages`"
    return match.group(1).split()


def _ignore_dirs() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^BABEL_IGNORE_DIRS\s*:=(.*)$", makefile, re.MULTILINE)
    assert match, "the Makefile has no BABEL_IGNORE_DIRS line; this test extracts like `make messages`"
    return ["--ignore-dirs", match.group(1).strip()]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *_keywords(), *_ignore_dirs(), "-o", str(pot), str(ROOT)])
    with pot.open("rb") as fh:
        catalog = read_po(fh)
    assert len(catalog) > 100, "extraction found almost nothing: check babel.cfg"
    return catalog


@pytest.fixture(scope="module")
def zh() -> Catalog:
    with ZH_PO.open("rb") as fh:
        return read_po(fh, locale="zh")


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _where(message: Message) -> str:
    return ", ".join(f"{Path(path).relative_to(ROOT) if Path(path).is_absolute() else path}:{line}" for path, line in message.locations[:2])


def test_every_string_in_the_sources_has_a_chinese_translation(extracted: Catalog, zh: Catalog) -> None:
    missing = []
    for message in extracted:
        if not message.id:
            continue
        entry = zh.get(message.id, context=message.context)
        plural_mismatch = entry is not None and isinstance(entry.id, tuple) != isinstance(message.id, tuple)
        if entry is None or entry.fuzzy or plural_mismatch or not all(s.strip() for s in _strings(entry)):
            state = "missing" if entry is None else "fuzzy" if entry.fuzzy else "singular/plural differs" if plural_mismatch else "empty"
            missing.append(f"  {message.id!r} ({state}; {_where(message)})")
    assert not missing, f"{len(missing)} string(s) without a Chinese translation; {HOW_TO_FIX}:\n" + "\n".join(missing)


def _placeholders(text: str) -> tuple[Counter[tuple[str, str]], list[str]]:
    """Named placeholders (any order) and positional ones (in order); %% counts as a positional one."""
    named: Counter[tuple[str, str]] = Counter()
    positional = []
    for match in PLACEHOLDER.finditer(text):
        if match["name"] is not None:
            named[(match["name"], match["type"])] += 1
        else:
            positional.append(match["type"])
    return named, positional


def test_translations_keep_the_placeholders(zh: Catalog) -> None:
    wrong = []
    for message in zh:
        if not message.id or not any(_strings(message)):
            continue
        # Chinese has one plural form; it stands for the English plural, which carries all placeholders.
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        named, positional = _placeholders(source)
        for translation in _strings(message):
            got_named, got_positional = _placeholders(translation)
            if set(got_named) != set(named) or got_positional != positional:
                wrong.append(f"  {source!r}\n    -> {translation!r}")
    assert not wrong, "translations whose placeholders differ from the English:\n" + "\n".join(wrong)


def test_chinese_by_default_and_english_on_request(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "登录" in html and "Log in" not in html

    response = client.post("/language", data={"locale": "en", "next": "/login", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html and "登录" not in html

    client.post("/language", data={"locale": "zh_CN", "next": "/login", "csrf_token": csrf_token(client)})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_every_template_compiles(app: Flask) -> None:
    assert app.template_folder
    folder = Path(app.root_path, app.template_folder)
    names = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    assert names
    broken = []
    for name in names:
        try:
            app.jinja_env.get_template(name)
        except Exception as exc:  # any failure to load or parse is what this test reports
            broken.append(f"  {name}: {type(exc).__name__}: {exc}")
    assert not broken, "templates that do not compile:\n" + "\n".join(broken)
