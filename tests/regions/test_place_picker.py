"""The filing form's place check: read alone (a POST reads just the places chosen) it answers as it does with the
county, township and village lists read (a page that shows them)."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from claims.extensions import db
from claims.regions.models import Region, RegionLevel
from claims.regions.services import PlacePicker, counties


def _sample() -> list[int | None]:
    """Places of every kind: two counties with villages and their townships and villages, a village made inactive, a
    county with a township but no village, a township of each county, and ids that are no place."""
    first, second = counties()[:2]
    township = aliased(Region)
    under = select(Region).join(township, Region.parent_id == township.id).order_by(Region.code).limit(1)
    villages = [db.session.execute(under.where(township.parent_id == c.id)).scalar_one() for c in (first, second)]
    townships = [v.parent for v in villages]
    inactive = db.session.execute(
        select(Region).join(township, Region.parent_id == township.id).where(township.parent_id == first.id, Region.id != villages[0].id).limit(1)
    ).scalar_one()
    inactive.active = False
    prefecture = first.path.rsplit("/", 1)[0]
    bare = Region(code="439998", name="无村县", level=RegionLevel.COUNTY, parent_id=first.parent_id, path=f"{prefecture}/439998", active=True)
    db.session.add(bare)
    db.session.add(Region(code="439998001", name="无村镇", level=RegionLevel.TOWNSHIP, parent=bare, path=f"{prefecture}/439998/439998001", active=True))
    db.session.flush()
    nowhere = db.session.execute(select(func.max(Region.id))).scalar_one() + 1
    return [None, nowhere, first.id, second.id, bare.id, *(t.id for t in townships), *(v.id for v in villages), inactive.id]


def test_the_check_of_the_chosen_places_alone_answers_as_with_the_lists(ctx) -> None:  # type: ignore[no-untyped-def]
    ids = _sample()
    first, second = counties()[:2]
    differences = []
    for scope in (None, [first.id], [second.id]):
        for chosen in itertools.product(ids, repeat=3):
            alone = PlacePicker(scope).place_problem(*chosen)
            listed = PlacePicker(scope)
            assert listed.villages is not None  # the lists read first, as a page that shows them
            if alone != listed.place_problem(*chosen):
                differences.append((scope, chosen, alone, listed.place_problem(*chosen)))
    assert not differences, differences[:5]
    assert PlacePicker([first.id]).place_problem(first.id, None, None) is not None  # the checks do refuse
