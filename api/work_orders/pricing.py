"""Money for work orders, computed in one place: line amounts, discounts, 13 % VAT, totals.

Prices are before tax. Each line: gross = quantity × unit price, discount = gross × pct,
net = gross − discount, each rounded half-up to the fen. Tax is charged once on the sum of
the nets, so the invoice total never drifts from its lines by rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from api.work_orders.constants import MONEY, VAT_RATE


def money(value: Decimal) -> Decimal:
    """The amount rounded half-up to the fen (0.01 CNY)."""
    return value.quantize(MONEY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PricedLine:
    """One billable line with its amounts."""

    kind: str  # labour or part
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal = Decimal(0)

    @property
    def gross(self) -> Decimal:
        """Quantity times unit price."""
        return money(self.quantity * self.unit_price)

    @property
    def discount(self) -> Decimal:
        """The line's discount."""
        return money(self.gross * self.discount_pct / 100)

    @property
    def net(self) -> Decimal:
        """What the line costs before tax."""
        return self.gross - self.discount


@dataclass(frozen=True)
class Totals:
    """The sums of an estimate or invoice."""

    labour_total: Decimal
    parts_total: Decimal
    discount_total: Decimal
    net_total: Decimal
    tax_rate: Decimal
    tax_total: Decimal
    grand_total: Decimal


def totals(lines: Iterable[PricedLine], *, tax_rate: Decimal = VAT_RATE) -> Totals:
    """Labour and parts before discount, discounts, net, tax on the net, and the total."""
    lines = list(lines)
    labour = sum((line.gross for line in lines if line.kind == "labour"), Decimal("0.00"))
    parts = sum((line.gross for line in lines if line.kind == "part"), Decimal("0.00"))
    discount = sum((line.discount for line in lines), Decimal("0.00"))
    net = labour + parts - discount
    tax = money(net * tax_rate)
    return Totals(
        labour_total=labour,
        parts_total=parts,
        discount_total=discount,
        net_total=net,
        tax_rate=tax_rate,
        tax_total=tax,
        grand_total=net + tax,
    )
