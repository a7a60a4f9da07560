"""The per-accident cap across the claims of one incident (pure, like the engine; docs/schedules.md).

The engine values each claim alone. When several households' claims belong to one incident, the schedule's
`caps.per_accident` applies to them together: what earlier decided claims of the incident took (their valuations
frozen by the value step) comes off the cap first, and what is left is shared by the claims still being valued,
pro rata to each one's amount before the cap, to the fen by the largest remainder, ties going to the claim
listed first (the services list them by claim number). A claim never gets more than its own amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from claims.valuation.lines import allocate, yuan

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Apportionment:
    cap: Decimal
    taken: Decimal  # by the incident's claims decided before (their valuations frozen)
    decided: int  # how many such claims
    total: Decimal  # the sharing households' amounts before the cap, together
    shares: dict[str, Decimal]  # claim ref -> what it may take

    @property
    def room(self) -> Decimal:
        """What the cap has left for the claims still being valued."""
        return max(ZERO, self.cap - self.taken)

    @property
    def binds(self) -> bool:
        return self.total > self.room

    def explanation(self, incident: str, ref: str, amount: Decimal) -> str:
        """The deduction line's rule text, printed on the valuation panel and the compensation decision."""
        text = f"事故{incident}每次事故补偿上限{yuan(self.cap)}元"
        if self.decided:
            text += f"，已核定{self.decided}件申请共{yuan(self.taken)}元，上限尚余{yuan(self.room)}元"
        households = len(self.shares)
        text += f"；本次{households}户按上限前金额合计{yuan(self.total)}元，按比例分配"
        return text + f"，本户上限前{yuan(amount)}元，分得{yuan(self.shares[ref])}元"


def share_accident_cap(amounts: Sequence[tuple[str, Decimal]], cap: Decimal, *, taken: Decimal = ZERO, decided: int = 0) -> Apportionment:
    """Each claim's share of the per-accident cap: `amounts` are (claim ref, amount before the cap) in tie-break
    order; `taken` what `decided` earlier decided claims of the incident already took."""
    wanted = [(ref, max(ZERO, amount)) for ref, amount in amounts]
    total = sum((amount for _, amount in wanted), ZERO)
    room = max(ZERO, cap - taken)
    if total <= room:
        shares = dict(wanted)
    else:
        found = dict(allocate(room, wanted))
        shares = {ref: found.get(ref, ZERO) for ref, _ in wanted}
    return Apportionment(cap, taken, decided, total, shares)


__all__ = ["Apportionment", "share_accident_cap"]
