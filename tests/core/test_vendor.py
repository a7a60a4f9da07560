"""The vendored browser assets (static/vendor/, written by `make vendor`) are exactly what the lockfile pins."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"


def _manifest() -> dict[str, dict[str, str]]:
    return json.loads((VENDOR / "manifest.json").read_text())["files"]


def test_every_vendored_file_has_the_hash_the_manifest_records() -> None:
    manifest = _manifest()
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest), "static/vendor/ holds files the manifest does not list, or misses some: run `make vendor`"
    for name, entry in manifest.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == entry["sha256"], f"{name} was changed by hand"


def test_the_manifest_matches_the_lockfile_and_package_json() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    manifest = _manifest()
    assert {entry["package"] for entry in manifest.values()} == set(package["vendor"]) == set(package["dependencies"])
    for name, pinned in package["dependencies"].items():
        assert lock[f"node_modules/{name}"]["version"] == pinned, f"{name}: package-lock.json is stale"
        assert lock[f"node_modules/{name}"]["integrity"].startswith("sha512-")
    for file, entry in manifest.items():
        assert entry["version"] == package["dependencies"][entry["package"]], f"{file}: vendored from another version"
    listed = {f"{name}/{path.removeprefix('dist/').removeprefix('build/')}" for name, paths in package["vendor"].items() for path in paths}
    assert listed == set(manifest)


def test_every_vendored_package_ships_its_licence() -> None:
    manifest = _manifest()
    for name in {entry["package"] for entry in manifest.values()}:
        assert any(f.startswith(f"{name}/") and ("LICEN" in f.upper()) for f in manifest), f"{name} without its licence"


def test_vendored_assets_are_served_by_the_app(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/static/vendor/echarts/echarts.simple.min.js")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == _manifest()["echarts/echarts.simple.min.js"]["sha256"]
