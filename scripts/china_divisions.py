"""Regenerate claims/regions/data/divisions.csv and townships.csv.gz from the npm package china-division, with the
points of the PyPI package cpca.

    npm pack china-division@2.7.0                              # into an empty folder under /tmp: only read, never installed
    pip download cpca==0.5.5 --no-deps -d .                    # the same
    python scripts/china_divisions.py china-division-2.7.0.tgz cpca-0.5.5-py3-none-any.whl

The package (modood/Administrative-divisions-of-China) holds the National Bureau of Statistics' statistical
division codes, 2023 edition, whose first six digits are the GB/T 2260 codes. We keep provinces, prefectures
and counties in divisions.csv (code,name,level,parent), and the township-level units in townships.csv.gz
(code,name: the parent is the code's first six digits). cpca's `resources/adcodes.csv` gives each division's seat
(lat, lon, rounded to 4 decimals, about 10 m) by code; a division it lacks (newer ones) has none. Three prefecture-level cities have no counties (东莞市,
中山市, 儋州市): their townships hang from the city itself, which we file as a county under the province, so
that every township has a county. Names are the package's, unchanged. See claims/regions/data/SOURCES.md.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import tarfile
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "claims" / "regions" / "data"


def _rows(archive: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = archive.extractfile(f"package/dist/{name}")
    assert member is not None, name
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def divisions(archive: tarfile.TarFile) -> list[tuple[str, str, str, str]]:
    """(code, name, level, parent) of every province, prefecture and county, parents first."""
    provinces = [(p["code"] + "0000", p["name"], "province", "") for p in _rows(archive, "provinces.csv")]
    areas = _rows(archive, "areas.csv")
    city_codes = {a["code"] for a in areas}  # a city that is its own county (441900 东莞市) is filed once, as a county
    prefectures = [(c["code"] + "00", c["name"], "prefecture", c["provinceCode"] + "0000") for c in _rows(archive, "cities.csv")]
    prefectures = [row for row in prefectures if row[0] not in city_codes]
    counties = [(a["code"], a["name"], "county", a["provinceCode"] + "0000" if a["code"] == a["cityCode"] + "00" else a["cityCode"] + "00") for a in areas]
    return sorted(provinces) + sorted(prefectures) + sorted(counties)


def points(wheel: str) -> dict[str, tuple[str, str]]:
    """(lat, lon) of each division seat in cpca, by 6-digit code."""
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("cpca/resources/adcodes.csv").decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["latitude"] and r["longitude"]]
    return {r["adcode"][:6]: (f"{float(r['latitude']):.4f}", f"{float(r['longitude']):.4f}") for r in rows}


def main(tarball: str, wheel: str) -> None:
    with tarfile.open(tarball) as archive:
        rows = divisions(archive)
        streets = sorted((s["code"], s["name"]) for s in _rows(archive, "streets.csv"))
    seats = points(wheel)
    with (DATA / "divisions.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("code", "name", "level", "parent", "lat", "lon"))
        writer.writerows(row + seats.get(row[0], ("", "")) for row in rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("code", "name"))
    writer.writerows(streets)
    # mtime=0: the same package gives the same bytes, so a regeneration shows no change in git.
    (DATA / "townships.csv.gz").write_bytes(gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(rows)} provinces, prefectures and counties ({sum(row[0] in seats for row in rows)} with a point); {len(streets)} townships")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
