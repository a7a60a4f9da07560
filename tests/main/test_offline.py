"""The installable app's manifest, service worker and offline page, as the server gives them."""

from __future__ import annotations

import hashlib
import json
import re
from io import BytesIO
from pathlib import Path

from flask import Flask
from PIL import Image

from claims.main.offline import SHELL, WORKBOX
from tests.conftest import login

STATIC = Path(__file__).resolve().parents[2] / "static"


def precache_of(script: str) -> list[dict[str, str]]:
    match = re.search(r"precacheAndRoute\((\[.*?\])\);", script)
    assert match, script
    return json.loads(match.group(1))


def test_the_manifest_names_the_app_and_its_icons_are_the_sizes_it_says(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "野生动物致害补偿" and manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = (int(n) for n in icon["sizes"].split("x"))
            assert Image.open(BytesIO(served.get_data())).size == (width, height)
        served.close()


def test_the_service_worker_precaches_the_shell_with_each_files_hash(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"  # the phone checks for a new version on every visit
    script = response.get_data(as_text=True)
    for name in WORKBOX:
        assert f'"/static/{name}"' in script
        assert (STATIC / name).is_file()
    entries = {e["url"]: e["revision"] for e in precache_of(script)}
    for name in SHELL:
        assert entries[f"/static/{name}"] == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:16]
    assert "/offline" in entries
    places = client.get("/places.js")
    assert entries["/places.js"] == places.headers["ETag"].strip('"')  # the filing form's places, for forms filled offline
    places.close()
    assert not [url for url in entries if not (url.startswith("/static/") or url in ("/offline", "/places.js"))]  # no page but the offline one


def test_the_offline_page_names_no_one_even_when_fetched_by_a_logged_in_phone(app: Flask) -> None:
    client = app.test_client()
    login(client, "13800000001")
    page = client.get("/offline").get_data(as_text=True)
    assert 'id="offline"' in page
    assert "张建国" not in page and "csrf_token" not in page and "13800000001" not in page
    script = client.get("/sw.js").get_data(as_text=True)
    assert "张建国" not in script
