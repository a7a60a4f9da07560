"""Demo data: a real Hunan county (Nan county, Yiyang) and a second one (Chaling), with one user per role.

Demo accounts exist only when this is loaded (`flask demo load`); nothing here runs in production set-up.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.accounts.services import create_user, find_user
from claims.core.time import utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Insurer, InsurerMember
from claims.regions.loader import load_regions, load_species
from claims.regions.models import CountyDesignation, Region, Species
from claims.valuation.shipped import load_shipped

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - the published demo password, only in demo data

# login, name, role, region code, mobile, organisation
DEMO_USERS = [
    ("admin", "管理员", Role.ADMIN, "430000", None, None),
    ("13800000001", "张建国", Role.VILLAGER, None, "13800000001", None),
    ("13800000002", "李秀英", Role.VILLAGER, None, "13800000002", None),
    ("clerk", "王芳", Role.CLERK, "430921128", "13900000011", None),
    ("clerk2", "刘洋", Role.CLERK, "430921127", "13900000012", None),
    ("officer", "陈志强", Role.OFFICER, "430921", "13900000021", None),
    ("officer2", "周伟", Role.OFFICER, "430921", "13900000022", None),
    ("approver", "赵敏", Role.APPROVER, "430921", "13900000031", None),
    ("approver2", "孙立", Role.APPROVER, "430921", "13900000032", None),
    ("insurer", "吴保", Role.INSURER, None, "13900000041", "中华联合财产保险股份有限公司益阳中心支公司"),
    ("clerk_cl", "谭丽", Role.CLERK, "430224113", "13900000051", None),
    ("officer_cl", "彭军", Role.OFFICER, "430224", "13900000052", None),
    ("officer_cl2", "尹红", Role.OFFICER, "430224", "13900000053", None),
    ("approver_cl", "龙海", Role.APPROVER, "430224", "13900000054", None),
]

# [design] Demo designations under Hunan Art. 2 (4): Nan county designates wild boar from the day the
# revised provincial list took it off (2023-08-25); Chaling has none, so wild boar there is not covered.
# The demo's counties: `flask demo load` makes each a trial signing key (claims/documents/keys.py) if it has none.
DEMO_SIGNING_COUNTIES = ["430921", "430224"]
DEMO_DESIGNATIONS = [("430921", "wild_boar", date(2023, 8, 25), "南县人民政府关于公布严重危害人民群众生产生活的野生动物名录的通告（演示数据）")]


def _region(code: str | None) -> Region | None:
    if code is None:
        return None
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def load_demo() -> list[User]:
    load_regions()
    load_species()
    for county_code, species_code, start, document in DEMO_DESIGNATIONS:
        county = _region(county_code)
        species = db.session.execute(select(Species).where(Species.code == species_code)).scalar_one()
        exists = db.session.execute(
            select(CountyDesignation).where(CountyDesignation.region_id == county.id, CountyDesignation.species_id == species.id)
        ).first()  # type: ignore[union-attr]
        if exists is None:
            db.session.add(CountyDesignation(region=county, species=species, effective_from=start, document=document))
    users = []
    for login, name, role, region_code, mobile, organisation in DEMO_USERS:
        user = find_user(login)
        if user is None:
            user = create_user(login=login, name=name, role=role, region=_region(region_code), password=DEMO_PASSWORD, mobile=mobile, organisation=organisation)
        if user.must_declare_conflicts:  # [design] the demo staff have declared that they have no relative to declare
            user.conflicts_declared_at = utcnow()
        users.append(user)
    db.session.flush()
    load_demo_insurance()

    load_shipped(find_user("admin"))  # type: ignore[arg-type]
    return users


# Nan county's 2025 government relief liability policy with China United Property Insurance (domain brief,
# section 7): the limits are the contract's; the 2026 renewal with the same terms is demo data [design].
NAN_LIMITS = {
    "per_person_death_disability": "300000",
    "per_person_medical": "30000",
    "per_accident_crops_trees": "150000",
    "per_accident_livestock_poultry": "100000",
    "per_person_property": "50000",
    "aggregate_personal": "1000000",
    "aggregate_property": "1000000",
}
NAN_POLICIES = [("PYYY2025430921000001", date(2025, 8, 1), date(2026, 7, 31)), ("PYYY2026430921000001", date(2026, 8, 1), date(2027, 7, 31))]


def load_demo_insurance() -> None:

    name = "中华联合财产保险股份有限公司益阳中心支公司"
    insurer = db.session.execute(select(Insurer).where(Insurer.name == name)).scalar_one_or_none()
    if insurer is None:
        insurer = Insurer(name=name, short_name="中华联合")
        db.session.add(insurer)
        db.session.flush()
    adjuster = find_user("insurer")
    if adjuster is not None and db.session.get(InsurerMember, adjuster.id) is None:
        db.session.add(InsurerMember(user_id=adjuster.id, insurer_id=insurer.id))
    nan = _region("430921")
    for number, start, end in NAN_POLICIES:
        if db.session.execute(select(InsurancePolicy).where(InsurancePolicy.number == number)).first() is None:
            db.session.add(
                InsurancePolicy(
                    number=number,
                    insurer_id=insurer.id,
                    policyholder_region_id=nan.id,  # type: ignore[union-attr]
                    term_start=start,
                    term_end=end,
                    categories=["crop", "economic_tree", "livestock", "poultry", "property", "injury", "death"],
                    species=[],
                    limits=dict(NAN_LIMITS),
                    report_days=10,
                    payment_days=30,
                    note="南县2025年野生动物致害政府救助责任保险（演示数据）",
                )
            )
    db.session.flush()
