"""Form fields for staff: amounts typed in yuan, rates in 折 and shares in percent, stored
as integers.

The database keeps fen and basis points (CONVENTIONS: money in integer fen); people type and
read yuan, 折 and percent. A field converts at the edge, so a model form saves the integer unchanged
and a staff member never has to know the storage unit.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.money import fen_to_yuan

BASIS_POINTS = 10000


class YuanField(forms.CharField):
    """An amount typed in yuan ("50", "50.5", "50.50"), cleaned to whole fen (5000).

    `min_yuan`/`max_yuan` bound what is plausible for the field (a registration fee of
    0.50 or 50,000 yuan is a typing mistake, not a price); zero is allowed when `allow_zero`
    (free clinics) even if below `min_yuan`.
    """

    default_error_messages = {
        "invalid": _(
            "Enter an amount in yuan with at most two decimals, e.g. 50 or 12.50."
        ),
        "too_small": _(
            "%(value)s yuan is implausibly small; the smallest accepted amount is %(limit)s yuan."
        ),
        "too_large": _(
            "%(value)s yuan is implausibly large; the largest accepted amount is %(limit)s yuan."
        ),
    }

    def __init__(
        self,
        *,
        min_yuan: Decimal | int = 0,
        max_yuan: Decimal | int = 100000,
        allow_zero: bool = True,
        **kwargs: Any,
    ) -> None:
        self.min_yuan = Decimal(min_yuan)
        self.max_yuan = Decimal(max_yuan)
        self.allow_zero = allow_zero
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 10})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Initial data is fen from the model; bound data is what the user typed.
        if isinstance(value, int) and not isinstance(value, bool):
            return fen_to_yuan(value) if value >= 0 else value
        return value

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = str(text).strip().replace("，", "").replace(",", "")
        text = text.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None
        if (
            not amount.is_finite()
            or amount < 0
            or amount != amount.quantize(Decimal("0.01"))
        ):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not (amount == 0 and self.allow_zero):
            params = {"value": text}
            if amount < self.min_yuan:
                raise forms.ValidationError(
                    self.error_messages["too_small"],
                    code="too_small",
                    params=params | {"limit": self.min_yuan},
                )
            if amount > self.max_yuan:
                raise forms.ValidationError(
                    self.error_messages["too_large"],
                    code="too_large",
                    params=params | {"limit": self.max_yuan},
                )
        return int(amount * 100)


class ZheField(forms.CharField):
    """A price rate typed in 折 ("8.5" means paying 85 percent; "10" is full price), cleaned to basis
    points (8500). Also accepts a percent of the price paid ("85%")."""

    default_error_messages = {
        "invalid": _(
            "Enter a discount in 折 from 1 to 10 (8.5 means paying 85 percent of the fee), or the percentage paid followed by a percent sign."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 6}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{Decimal(value) / 1000:.2f}".rstrip("0").rstrip(".")
        return value

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = str(text).strip().removesuffix("折").strip()
        percent = text.endswith(("%", "％"))
        text = text.rstrip("%％").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None
        basis_points = number * (100 if percent else 1000)
        if (
            not basis_points.is_finite()
            or basis_points != basis_points.to_integral_value()
            or not 1000 <= basis_points <= BASIS_POINTS
        ):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(basis_points)


def percent_text(basis_points: int) -> str:
    """Basis points as a percentage without needless decimals: 2000 -> "20", 1250 -> "12.5"."""
    return f"{Decimal(basis_points) * 100 / BASIS_POINTS:.2f}".rstrip("0").rstrip(".")


class PercentField(forms.CharField):
    """A share typed in percent ("20", "12.5", "20%"), cleaned to basis points (2000)."""

    default_error_messages = {
        "invalid": _(
            "Enter a percentage from 0 to %(limit)s with at most two decimals, e.g. 20 or 12.5."
        ),
    }

    def __init__(self, *, max_percent: int = 100, **kwargs: Any) -> None:
        self.max_percent = max_percent
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 6}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Initial data is basis points from the model; bound data is what was typed.
        if isinstance(value, int) and not isinstance(value, bool):
            return percent_text(value)
        return value

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = str(text).strip().rstrip("%％").strip()
        try:
            basis_points = Decimal(text) * 100
        except InvalidOperation:
            basis_points = Decimal("NaN")
        if (
            not basis_points.is_finite()
            or basis_points != basis_points.to_integral_value()
            or not 0 <= basis_points <= self.max_percent * 100
        ):
            raise forms.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"limit": self.max_percent},
            )
        return int(basis_points)
