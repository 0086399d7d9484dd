"""A stored tree drawn as SVG, from its structure alone (no plotting library).

Leaves are spread evenly from left to right, each split sits above the middle of its
children; a split's box holds its question (the left branch answers yes), a leaf's box
its risk and the number of training bookings, coloured by risk band.
"""

from django.utils.html import escape
from django.utils.translation import gettext as _

from analytics.ml.features import MISSING
from analytics.ml.rules import split_text

BOX_W, BOX_H = 210, 46
GAP_X, GAP_Y = 14, 40
COLOURS = {"low": "#e6f4ea", "medium": "#fff4d6", "high": "#fbe3e4", "split": "#eef2f8"}


def _band(risk: float, thresholds: dict[str, float]) -> str:
    if risk >= thresholds["high"]:
        return "high"
    return "medium" if risk >= thresholds["medium"] else "low"


def _layout(nodes: dict[int, dict]) -> dict[int, tuple[float, int]]:
    """(x centre, depth) of every node."""
    places: dict[int, tuple[float, int]] = {}
    next_leaf = [0]

    def place(node_id: int, depth: int) -> float:
        node = nodes[node_id]
        if node["left"] == -1:
            x = next_leaf[0] * (BOX_W + GAP_X) + BOX_W / 2
            next_leaf[0] += 1
        else:
            x = (place(node["left"], depth + 1) + place(node["right"], depth + 1)) / 2
        places[node_id] = (x, depth)
        return x

    place(0, 0)
    return places


def _text(x: float, y: float, content: str, *, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" font-size="12" '
        f'font-weight="{weight}">{escape(content)}</text>'
    )


def tree_svg(structure: dict, thresholds: dict[str, float]) -> str:
    nodes = {node["id"]: node for node in structure.get("nodes", [])}
    if not nodes:
        return ""
    lowest = structure.get("lowest", {})
    places = _layout(nodes)
    width = max(x for x, _d in places.values()) + BOX_W / 2 + 2
    depth = max(d for _x, d in places.values())
    height = (depth + 1) * (BOX_H + GAP_Y)
    title = escape(_("Decision tree"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{title}">'
    ]
    for node_id, node in nodes.items():
        x, d = places[node_id]
        y = d * (BOX_H + GAP_Y)
        if node["left"] != -1:
            for child, word in ((node["left"], _("yes")), (node["right"], _("no"))):
                cx, cd = places[child]
                cy = cd * (BOX_H + GAP_Y)
                parts.append(
                    f'<line x1="{x:.0f}" y1="{y + BOX_H}" x2="{cx:.0f}" y2="{cy}" '
                    'stroke="#8a94a6"/>'
                )
                parts.append(_text((x + cx) / 2, (y + BOX_H + cy) / 2, word))
    for node_id, node in nodes.items():
        x, d = places[node_id]
        y = d * (BOX_H + GAP_Y)
        leaf = node["left"] == -1
        colour = COLOURS[_band(node["risk"], thresholds) if leaf else "split"]
        parts.append(
            f'<rect x="{x - BOX_W / 2:.0f}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="6" fill="{colour}" stroke="#5b6577"/>'
        )
        if leaf:
            title = _("risk %(risk)s") % {"risk": f"{node['risk']:.0%}"}
        else:
            title = split_text(
                node["feature"],
                node["threshold"],
                lowest=lowest.get(node["feature"], MISSING),
            )
        samples = _("%(count)s bookings") % {"count": f"{node['samples']:,}"}
        parts.append(_text(x, y + 19, title, weight="bold" if leaf else "normal"))
        parts.append(_text(x, y + 36, samples))
    parts.append("</svg>")
    return "".join(parts)
