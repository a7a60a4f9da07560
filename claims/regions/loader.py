"""Loading the shipped reference data (regions, species) idempotently."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select

from claims.extensions import db
from claims.regions.models import ListKind, Region, RegionLevel, Species, SpeciesListing


def _read(name: str) -> Any:
    return json.loads(resources.files("claims.regions").joinpath("data", name).read_text(encoding="utf-8"))


def load_regions(rows: list[dict[str, Any]] | None = None) -> int:
    """Insert or update regions by code; parents must come before children. Returns rows touched."""
    rows = rows if rows is not None else _read("regions.json")
    by_code = {r.code: r for r in db.session.execute(select(Region)).scalars()}
    for row in rows:
        parent = by_code.get(row["parent"]) if row.get("parent") else None
        region = by_code.get(row["code"])
        if region is None:
            region = Region(code=row["code"])
            db.session.add(region)
            by_code[row["code"]] = region
        region.name = row["name"]
        region.level = RegionLevel(row["level"])
        region.parent = parent
        region.path = (parent.path if parent else "") + row["code"] + "/"
        if row.get("lat") is not None:  # a point an administrator set stays when the file has none
            region.lat, region.lon = row["lat"], row["lon"]
    db.session.flush()
    return len(rows)


def load_species(rows: list[dict[str, Any]] | None = None) -> int:
    """Insert or update species by code, replacing their listings with the file's."""
    rows = rows if rows is not None else _read("species.json")
    by_code = {s.code: s for s in db.session.execute(select(Species)).scalars()}
    for row in rows:
        species = by_code.get(row["code"])
        if species is None:
            species = Species(code=row["code"])
            db.session.add(species)
            by_code[row["code"]] = species
        species.name_zh = row["name_zh"]
        species.name_sci = row["name_sci"]
        species.group = row.get("group", "mammal")
        species.listings = [
            SpeciesListing(
                list_kind=ListKind(item["list"]),
                effective_from=date.fromisoformat(item["effective_from"]),
                effective_to=date.fromisoformat(item["effective_to"]) if item.get("effective_to") else None,
                source=item.get("source", ""),
            )
            for item in row.get("listings", [])
        ]
    db.session.flush()
    return len(rows)
