"""Per-county settings with their defaults, answered from `CountySetting` rows in force on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from claims.core.time import local_today
from claims.extensions import db
from claims.regions.models import CountySetting, Region


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    title: Any
    kind: type
    minimum: int = 0  # for whole numbers: the least value a county may set
    maximum: int | None = None  # and the most

    def bounded(self, value: Any) -> Any:
        """A stored value within today's bounds (a row set before a bound existed does not escape it)."""
        if self.kind is not int:
            return value
        value = max(self.minimum, int(value))
        return min(self.maximum, value) if self.maximum is not None else value


DOC_PREFIX_TITLES = (
    ("receipt", _l("acceptance receipt")),
    ("correction", _l("correction notice")),
    ("not_accepted", _l("notice of non-acceptance")),
    ("survey_record", _l("field survey record")),
    ("refusal", _l("decision not to compensate")),
    ("compensation", _l("compensation decision")),
    ("notice_list", _l("public notice list")),
    ("payment_list", _l("payment list")),
    ("advance", _l("advance payment decision")),
)

# [design] Defaults: two surveyors per on-site inspection (common practice), a 7-day public notice.
SPECS = {
    spec.key: spec
    for spec in (
        SettingSpec("surveyors_required", 2, _l("Surveyors per case"), int, minimum=1, maximum=10),
        # [design] Five calendar days at least: a shorter notice leaves a villager who works away no time to object.
        SettingSpec("notice_days", 7, _l("Public notice period (days)"), int, minimum=5, maximum=60),
        # [design] The domain brief gives no limit between valuation (or the insurer's decision) and the public
        # notice: a working week, like the survey report, until a county sets its own.
        SettingSpec("notice_within_working_days", 5, _l("Working days to put a valued claim on public notice"), int, minimum=1, maximum=30),
        # [design] Who holds an overdue claim is told each working day; their supervisor too once it is more than
        # this many working days overdue (claims/workflow/escalation.py).
        SettingSpec("escalate_after_working_days", 3, _l("Working days overdue before the supervisor is told"), int, minimum=1, maximum=30),
        SettingSpec("government_tops_up", 1, _l("Government pays what the insurer does not (1 yes, 0 no)"), int),
        SettingSpec("second_approval_above", 10000, _l("Second approver needed above this amount (yuan)"), int),
        # [design] Separation of duties: another clerk of the township or a county officer takes intake of a claim a
        # clerk filed. A township with a single clerk may be allowed to (1); each such intake is recorded on the claim.
        # The advance on injury and death (claims/approval/advances.py, docs/payments.md): off unless a percentage or a
        # fixed sum is set; never above the cap. [design] 30 % follows Uttarakhand's advance for a death.
        SettingSpec("advance_percent", 0, _l("Advance for injury or death: percentage of the valued (or schedule's death) amount (0: none)"), int, maximum=100),
        SettingSpec("advance_fixed", 0, _l("Advance for injury or death: fixed sum when there is no amount to take a percentage of (yuan, 0: none)"), int),
        SettingSpec("advance_cap", 50000, _l("Advance for injury or death: at most (yuan)"), int),
        SettingSpec("filer_may_accept", 0, _l("The clerk who filed a claim may take its intake, in one-clerk townships (1 yes, 0 no)"), int),
        # Documents (claims.documents): an empty text means "derived from the county's name", e.g. 南县:
        # issued by 南县林业局, reconsideration to 南县人民政府, lawsuit at 南县人民法院, numbers 南林补决〔2026〕1号.
        # Where administrative cases are centralised at another court (集中管辖), the county sets its name.
        SettingSpec("doc_issuing_authority", "", _l("Documents: issuing authority (empty: the county forestry bureau)"), str),
        SettingSpec("doc_reconsideration_body", "", _l("Documents: body for administrative reconsideration (empty: the county government)"), str),
        SettingSpec("doc_court", "", _l("Documents: court for administrative lawsuits (empty: the county court)"), str),
        # Printed where a document tells the public whom to call, e.g. for an objection to the notice list.
        SettingSpec("doc_contact_phone", "", _l("Documents: the issuing authority's telephone for questions and objections"), str),
        SettingSpec(
            "doc_provincial_measures", "《湖南省陆生野生动物致害补偿办法》（湖南省人民政府令第315号）", _l("Documents: provincial measures cited"), str
        ),
        *(SettingSpec(f"doc_prefix_{kind}", "", _l("Documents: number prefix of the %(kind)s", kind=title), str) for kind, title in DOC_PREFIX_TITLES),
    )
}


def county_setting(county: Region | None, key: str, on_date: date | None = None) -> Any:
    """The value in force for the county (or its prefecture, or province), else the default."""
    spec = SPECS[key]
    on_date = on_date or local_today()
    node = county
    while node is not None:
        query = select(CountySetting).where(
            CountySetting.region_id == node.id,
            CountySetting.key == key,
            CountySetting.effective_from <= on_date,
            or_(CountySetting.effective_to.is_(None), CountySetting.effective_to >= on_date),
        )
        row = db.session.execute(query.order_by(CountySetting.effective_from.desc()).limit(1)).scalar_one_or_none()
        if row is not None:
            return spec.bounded(spec.kind(row.value))
        node = node.parent
    return spec.default


def county_settings(county: Region | None, keys: list[str], on_date: date | None = None) -> dict[str, Any]:
    """Several settings at once, with `county_setting`'s answers, in one query (documents read five)."""
    values = {key: SPECS[key].default for key in keys}
    if county is None:
        return values
    on_date = on_date or local_today()
    chain = county.path.strip("/").split("/")[::-1]  # the county's code first, then its prefecture's, ...
    query = (
        select(CountySetting, Region.code)
        .join(Region, Region.id == CountySetting.region_id)
        .where(
            Region.code.in_(chain),
            CountySetting.key.in_(keys),
            CountySetting.effective_from <= on_date,
            or_(CountySetting.effective_to.is_(None), CountySetting.effective_to >= on_date),
        )
    )
    rows = sorted(db.session.execute(query).all(), key=lambda r: (chain.index(r[1]), -r[0].effective_from.toordinal()))
    for row, _code in reversed(rows):  # the nearest region and the latest start win: they come first, so they are set last
        values[row.key] = SPECS[row.key].bounded(SPECS[row.key].kind(row.value))
    return values
