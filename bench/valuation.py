"""How many claims per second does the valuation engine value?

Values ``--claims`` claims (100,000 by default) of mixed lines with the pure engine
(``claims.valuation.engine.value_claim``): crops at fixed rates by growth stage and at market value,
economic trees, livestock and poultry killed or injured, houses at assessed value with a per-building
cap, and personal injuries (medical costs, lost work, nursing). Each claim goes through the shipped
Hunan default with the Nan county override (threshold, market prices) or through the Xishuangbanna
fixed-rate example, and a third of them carry earlier claims of the household (caps per year). The
inputs are built before the clock starts and no database is touched: the engine is what is measured.

Prints a summary and, as its last line, one JSON object: ``{"valuations_per_s": ...}``.

    .venv/bin/python bench/valuation.py                 # 100,000 claims
    .venv/bin/python bench/valuation.py --claims 10000  # a quick check
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claims.valuation.engine import value_claim
from claims.valuation.fileformat import parse_schedule
from claims.valuation.spec import EarlierClaim, LossIn, Price, ReferenceData, ValuationInput

DATA = Path(__file__).resolve().parent.parent / "claims" / "valuation" / "data"
HUNAN_PATH = ("430000", "430900", "430921")
BANNA_PATH = ("530000", "532800", "532801")
CROPS = ("水稻", "玉米", "红薯", "花生", "油菜")
STAGES = (None, "seedling", "growing", "mature")


def reference() -> ReferenceData:
    prices = {}
    for year in (2024, 2025):
        for item, price, unit in (("水稻", "1060", "mu"), ("玉米", "860", "mu"), ("红薯", "1500", "mu"), ("花生", "1700", "mu"), ("油菜", "700", "mu")):
            prices[(item, "430000", year)] = Price(Decimal(price), unit)
        for item, price, unit in (("柑橘", "120", "plant"), ("猪", "1500", "head"), ("山羊", "1250", "head"), ("牛", "8500", "head"), ("鸡", "60", "bird")):
            prices[(item, "430000", year)] = Price(Decimal(price), unit)
    return ReferenceData(prices, {})


def random_loss(rng: random.Random, i: int, hunan: bool) -> LossIn:
    kind = rng.choices(("crop", "tree", "livestock", "poultry", "house", "injury"), weights=(50, 10, 12, 15, 3, 10))[0]
    line = f"L{i}"
    qty = Decimal(rng.randint(1, 5000)) / 100
    if kind == "crop":
        item = rng.choice(CROPS if hunan else ("水稻", "玉米", "甘蔗", "花生"))
        return LossIn(line, "crop", item, qty, "mu", rng.randint(10, 100), rng.choice(STAGES))
    if kind == "tree":
        return LossIn(line, "economic_tree", "柑橘" if hunan else rng.choice(("橡胶", "茶树", "香蕉")), Decimal(rng.randint(1, 80)), "plant")
    if kind == "livestock":
        return LossIn(line, "livestock", rng.choice(("猪", "山羊", "牛")), Decimal(rng.randint(1, 6)), "head", condition=rng.choice(("killed", "injured")))
    if kind == "poultry":
        return LossIn(line, "poultry", "鸡", Decimal(rng.randint(1, 40)), "bird")
    if kind == "house":
        return LossIn(line, "property", "房屋", Decimal(1), "item", assessed_value=Decimal(rng.randint(1000, 40000)))
    return LossIn(line, "injury", f"伤者{i}", medical_costs=Decimal(rng.randint(100, 5000000)) / 100, hospital_days=rng.randint(0, 30))


def build(count: int, seed: int) -> list[tuple[ValuationInput, list]]:  # type: ignore[type-arg]
    hunan = [parse_schedule((DATA / name).read_text(encoding="utf-8")).spec for name in ("nan-county-2025.yaml", "hunan-default-2024.yaml")]
    banna = [parse_schedule((DATA / "examples" / "xishuangbanna-2022.yaml").read_text(encoding="utf-8")).spec]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        in_hunan = rng.random() < 0.7
        losses = tuple(random_loss(rng, i + 1, in_hunan) for i in range(rng.randint(1, 5)))
        earlier = tuple(EarlierClaim(f"#{k}", Decimal(rng.randint(0, 300000)) / 100) for k in range(rng.choice((0, 0, 1, 2))))
        inp = ValuationInput(date(2026, rng.randint(1, 12), rng.randint(1, 28)), HUNAN_PATH if in_hunan else BANNA_PATH, losses, earlier)
        out.append((inp, hunan if in_hunan else banna))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260601)
    args = parser.parse_args()
    ref = reference()
    work = build(args.claims, args.seed)
    lines = sum(len(inp.losses) for inp, _ in work)
    print(f"{args.claims} claims, {lines} loss lines built; valuing with the engine only")
    batch = max(1, args.claims // 10)
    rates, total, start = [], Decimal(0), time.perf_counter()
    for begin in range(0, len(work), batch):
        t0 = time.perf_counter()
        for inp, schedules in work[begin : begin + batch]:
            total += value_claim(inp, schedules, ref).total
        rates.append(len(work[begin : begin + batch]) / (time.perf_counter() - t0))
    elapsed = time.perf_counter() - start
    per_s = args.claims / elapsed
    print(f"valued {args.claims} claims in {elapsed:.2f} s: {per_s:,.0f} per second (batches of {batch}: median {statistics.median(rates):,.0f}/s)")
    print(f"sum of all totals: {total} yuan (a check that the same seed gives the same result)")
    print(json.dumps({"valuations_per_s": round(per_s)}))


if __name__ == "__main__":
    main()
