"""The monthly spend bar chart, as geometry for a server-rendered SVG
(templates/vending/spend/_chart.html): no script, readable without colours (each bar
carries its amount as text, the SVG a title and a description, the page a table)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vending.selectors.costs import MonthAmount

WIDTH = 640
HEIGHT = 220
LEFT = 56  # room for the axis labels
TOP = 20
BOTTOM = 28  # room for the month labels
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
GRID_LINES = 4


@dataclass(frozen=True)
class Bar:
    label: str  # "Jun 2026"
    short: str  # "Jun"
    amount_text: str
    x: float
    y: float
    width: float
    height: float
    estimated: bool

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class SpendChart:
    title: str
    description: str
    bars: list[Bar]
    grid: list[GridLine]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = TOP + PLOT_HEIGHT
    left: int = LEFT


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * magnitude:
            return Decimal(step) * magnitude
    return 10 * magnitude  # pragma: no cover - the loop ends at 10


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def spend_chart(months: list[MonthAmount], *, currency: str, title: str) -> SpendChart:
    amounts = [m.amount or Decimal(0) for m in months]
    top = _nice_ceiling(max(amounts, default=Decimal(0)))
    slot = (WIDTH - LEFT) / max(len(months), 1)
    bars: list[Bar] = []
    for month, amount in zip(months, amounts, strict=True):
        height = float(amount / top) * PLOT_HEIGHT
        bars.append(
            Bar(
                label=f"{month.month:%b %Y}",
                short=f"{month.month:%b}",
                amount_text="no figure" if month.amount is None else _money(amount, currency),
                x=LEFT + slot * len(bars) + slot * 0.15,
                y=TOP + PLOT_HEIGHT - height,
                width=slot * 0.7,
                height=height,
                estimated=month.estimated,
            )
        )
    grid = [
        GridLine(
            y=TOP + PLOT_HEIGHT - PLOT_HEIGHT * i / GRID_LINES,
            label=f"{top * i / GRID_LINES:,.0f}" if top >= 10 else f"{top * i / GRID_LINES:.2f}",
        )
        for i in range(GRID_LINES + 1)
    ]
    description = "; ".join(f"{b.label}: {b.amount_text}" for b in bars)
    return SpendChart(
        title=title,
        description=f"Spend per month ({currency}). {description}.",
        bars=bars,
        grid=grid,
    )
