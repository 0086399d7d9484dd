"""Readable labels for operation-log action codes, and a readable form of log summaries.

Each app registers the labels of its own action codes from its AppConfig.ready:

    action_labels_register({"appointment.checked_in": _("Checked in"), ...})

so common never names a domain's codes. An unregistered code is shown as it is.
"""

import re
from collections.abc import Mapping

from django.utils.functional import Promise

from common.money import yuan_display

_LABELS: dict[str, str | Promise] = {}

# Services write amounts as "<integer> fen" (or "<integer> of <integer> fen") in summaries.
_FEN_RANGE = re.compile(r"\b(\d+) of (\d+) fen\b")
_FEN_AMOUNT = re.compile(r"\b(\d+) fen\b")


def action_labels_register(labels: Mapping[str, str | Promise]) -> None:
    """Add labels (usually gettext_lazy strings) for action codes; call from ready()."""
    for code, label in labels.items():
        if not code:
            raise ValueError("an action code cannot be empty")
        _LABELS[code] = label


def action_label(code: str) -> str:
    """The label of `code` in the active language; the code itself when unregistered."""
    label = _LABELS.get(code)
    return str(label) if label is not None else code


def action_labels_all() -> dict[str, str | Promise]:
    return dict(_LABELS)


def summary_display(summary: str) -> str:
    """A log summary with every "<n> fen" amount written in yuan ("5000 fen" -> "¥50.00")."""
    summary = _FEN_RANGE.sub(
        lambda match: (
            f"{yuan_display(int(match.group(1)))} of "
            f"{yuan_display(int(match.group(2)))}"
        ),
        summary,
    )
    return _FEN_AMOUNT.sub(lambda match: yuan_display(int(match.group(1))), summary)
