"""A chart's data: named columns and rows, as drawn and as downloaded (CSV)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    # "count", "percent" (already in %, one decimal), "average" (one decimal), "yuan"
    # (stored in fen), "text", "date"
    kind: str = "count"

    def display(self, value: Any) -> Any:
        """The value as people read it (CSV cells and chart points)."""
        if value is None:
            return None
        if self.kind == "yuan":
            return Decimal(value) / 100
        if self.kind == "date":
            return value.isoformat()
        return value


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def display_rows(self) -> list[list[Any]]:
        return [
            [col.display(row.get(col.key)) for col in self.columns] for row in self.rows
        ]


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole in percent with one decimal; None when there is no whole."""
    if not whole:
        return None
    return round(100 * (part or 0) / whole, 1)
