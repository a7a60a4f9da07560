"""Copy the third-party browser assets named in package.json's "vendor" into static/vendor/ and record their hashes.

Run by `make vendor` after changing package.json (Node and the npm registry needed then, never by `make run`):
`npm ci` installs exactly what package-lock.json pins into a scratch directory, the files that package.json's
"vendor" lists are copied to static/vendor/<package>/<path without "dist/" or "build/">
(so a stylesheet's relative image URLs still resolve, and no folder is named like the build/ that git ignores),
and static/vendor/manifest.json records each file's package, version (from the lockfile) and SHA-256.
tests/core/test_vendor.py checks the served files against that manifest and the manifest against the lockfile, so a
hand-edited or stale asset fails the suite.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(ROOT / name, work / name)
        npm = shutil.which("npm")
        if npm is None:
            print("npm not found: install Node.js 20 to refresh static/vendor/", file=sys.stderr)
            return 1
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work, check=True)  # noqa: S603 (a fixed command, no input)
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        files: dict[str, dict[str, str]] = {}
        for name, paths in sorted(package["vendor"].items()):
            version = lock["packages"][f"node_modules/{name}"]["version"]
            for relative in paths:
                source = work / "node_modules" / name / relative
                target = VENDOR / name / relative.removeprefix("dist/").removeprefix("build/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                files[target.relative_to(VENDOR).as_posix()] = {"package": name, "version": version, "sha256": sha256(target)}
    (VENDOR / "manifest.json").write_text(json.dumps({"files": files}, indent=1, sort_keys=True) + "\n")
    print(f"{len(files)} files in {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
