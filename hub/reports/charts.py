"""Bar charts as SVG, rendered on the hub (no script, no inline style: the portal's CSP holds).

One chart shows one currency: bars of different currencies never share an axis. Each bar carries
its label and exact value (`data-label`, `data-value`, minor units) and a <title>, so a screen
reader, a test and a person hovering read the same figure; the value printed above a bar is
the money as the page shows it. The viewBox scales to the width it is given (a phone's 390 px or a
desktop column) with the text staying legible.
"""

from __future__ import annotations

from html import escape
from typing import Callable, Sequence

from markupsafe import Markup

HEIGHT = 240
TOP, BOTTOM, SIDE = 30, 44, 12


def bars(title: str, points: Sequence[tuple[str, str, int]], show: Callable[[int], str], *,
         css: str = "chart") -> Markup:
    """points: (key, label under the bar, value in minor units). A negative value draws below the
    axis (a day whose refunds outweighed its sales), never hidden."""
    n = max(1, len(points))
    WIDTH = max(360, min(960, 60 * n))  # few bars: a narrow box, so a phone shows the text near its size
    top = max([v for _, _, v in points] + [0])
    low = min([v for _, _, v in points] + [0])
    span = (top - low) or 1
    plot = HEIGHT - TOP - BOTTOM
    zero = TOP + plot * top / span
    slot = (WIDTH - 2 * SIDE) / n
    width = max(4.0, slot * 0.62)
    font = 13 if n <= 12 else 10
    parts = [f'<svg class="{escape(css)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}"'
             f' preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line class="chart-axis" x1="{SIDE}" y1="{zero:.1f}" x2="{WIDTH - SIDE}" y2="{zero:.1f}"/>']
    for i, (key, label, value) in enumerate(points):
        h = plot * abs(value) / span
        x = SIDE + slot * i + (slot - width) / 2
        y = zero - h if value >= 0 else zero
        text = show(value)
        parts.append(
            f'<g class="chart-bar" data-key="{escape(key)}" data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)}: {escape(text)}</title>"
            f'<rect class="{"chart-neg" if value < 0 else "chart-pos"}" x="{x:.1f}" y="{y:.1f}"'
            f' width="{width:.1f}" height="{max(h, 0.0):.1f}" rx="3"/>'
            + (f'<text class="chart-value" x="{x + width / 2:.1f}" y="{(y - 6 if value >= 0 else y + h + 14):.1f}"'
               f' text-anchor="middle" font-size="{font}">{escape(text)}</text>' if n <= 31 else "")
            + f'<text class="chart-label" x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle"'
            f' font-size="{font}">{escape(label)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
