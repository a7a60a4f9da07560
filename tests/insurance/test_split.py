"""The split between insurer and government, by hand-computed cases and properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from claims.insurance.models import DeductibleMode, PolicyLimit
from claims.insurance.split import PolicyTerms, split_award

D = Decimal
ALL = frozenset({"crop", "economic_tree", "livestock", "poultry", "property", "injury", "death"})
NAN_2025 = PolicyTerms(
    categories=ALL,
    limits={
        PolicyLimit.PER_PERSON_DEATH_DISABILITY: D(300000),
        PolicyLimit.PER_PERSON_MEDICAL: D(30000),
        PolicyLimit.PER_ACCIDENT_CROPS_TREES: D(150000),
        PolicyLimit.PER_ACCIDENT_LIVESTOCK_POULTRY: D(100000),
        PolicyLimit.PER_PERSON_PROPERTY: D(50000),
        PolicyLimit.AGGREGATE_PERSONAL: D(1000000),
        PolicyLimit.AGGREGATE_PROPERTY: D(1000000),
    },
)


def test_no_policy_government_pays_all() -> None:
    result = split_award([("crop", D("3845.00"))], None)
    assert (result.insurer_share, result.government_share) == (D("0.00"), D("3845.00"))


def test_within_limits_insurer_pays_all() -> None:
    result = split_award([("crop", D("3845.00")), ("poultry", D("120.00"))], NAN_2025)
    assert result.insurer_share == D("3965.00") and result.government_share == D("0.00")
    assert result.draws[PolicyLimit.AGGREGATE_PROPERTY] == D("3965.00")


def test_per_person_property_limit_and_top_up() -> None:
    result = split_award([("crop", D("60000.00"))], NAN_2025)
    assert result.insurer_share == D("50000.00") and result.government_share == D("10000.00")


def test_aggregate_already_used() -> None:
    used = {PolicyLimit.AGGREGATE_PROPERTY: D("999000.00")}
    result = split_award([("crop", D("3000.00"))], NAN_2025, used=used)
    assert result.insurer_share == D("1000.00") and result.government_share == D("2000.00")


def test_medical_limit_per_person() -> None:
    result = split_award([("injury", D("45000.00"))], NAN_2025, used={PolicyLimit.PER_PERSON_MEDICAL: D("10000.00")})
    assert result.insurer_share == D("20000.00")


def test_uncovered_category_goes_to_government() -> None:
    terms = PolicyTerms(categories=frozenset({"crop"}), limits={})
    result = split_award([("crop", D("100.00")), ("injury", D("500.00"))], terms)
    assert (result.insurer_share, result.government_share) == (D("100.00"), D("500.00"))


def test_threshold_versus_deductible() -> None:
    threshold = PolicyTerms(categories=ALL, limits={}, deductible_mode=DeductibleMode.THRESHOLD, deductible_amount=D("500"))
    deductible = PolicyTerms(categories=ALL, limits={}, deductible_mode=DeductibleMode.DEDUCTIBLE, deductible_amount=D("500"))
    assert split_award([("crop", D("499.99"))], threshold).insurer_share == D("0.00")
    assert split_award([("crop", D("500.00"))], threshold).insurer_share == D("500.00")
    assert split_award([("crop", D("800.00"))], deductible).insurer_share == D("300.00")
    percent = PolicyTerms(categories=ALL, limits={}, deductible_mode=DeductibleMode.DEDUCTIBLE, deductible_percent=D("10"))
    assert split_award([("crop", D("800.00"))], percent).insurer_share == D("720.00")


def test_no_top_up_county() -> None:
    result = split_award([("crop", D("60000.00"))], NAN_2025, government_tops_up=False)
    assert result.government_share == D("0.00") and "no_top_up" in result.reasons


amounts = st.decimals(min_value=0, max_value=500000, places=2)
cats = st.sampled_from(sorted(ALL))


@given(st.lists(st.tuples(cats, amounts), max_size=8), st.booleans())
def test_shares_never_exceed_entitlement_or_limits(lines, top_up) -> None:  # type: ignore[no-untyped-def]
    result = split_award(lines, NAN_2025, government_tops_up=top_up)
    assert result.insurer_share >= 0 and result.government_share >= 0
    assert result.insurer_share + result.government_share <= result.entitlement
    for kind, amount in result.draws.items():
        assert amount <= NAN_2025.limits[kind]
    if top_up:
        assert result.insurer_share + result.government_share == result.entitlement
