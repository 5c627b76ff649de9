"""The negotiation dance as an SVG chart: both sides' utilities of every offer, round by round.

One line per side's offers and per side's utility of them: our offers and the buyer's, each
drawn by what it is worth to us (solid) and to the modelled buyer (dashed). Offers made are
filled dots, simulated ones hollow, after a dotted line marking now; our walk-away utility is
a grey line across and the accepted offer is ringed. The SVG is a plain string built here,
with no dependency: every text in it (the title above all, which may carry a deal's title) is
escaped, and characters XML cannot hold are dropped, so that the document always parses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import escape

from dealflow.domain.advisor.forecast import DanceMove
from dealflow.domain.parties import Side

WIDTH, HEIGHT = 880, 440
LEFT, RIGHT, TOP, BOTTOM = 60, 290, 56, 56
#: Colour per side: our offers blue, the buyer's orange (distinct for colour-blind readers).
COLOURS = {Side.SELLER: "#1f5fa8", Side.BUYER: "#e07b00"}
GREY = "#888888"
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Text safe inside an element or a quoted attribute."""
    return escape(_NOT_XML.sub("", value), quote=True)


def _ticks(high: int) -> list[int]:
    """Round numbers 1..high, about ten of them."""
    step = max(1, math.ceil(high / 10))
    # 1, then the multiples of the step not crowding it.
    return [1, *(k for k in range(step, high + 1, step) if k - 1 >= 0.75 * step)]


def dance_svg(
    moves: Sequence[DanceMove],
    *,
    title: str,
    reservation: float | None = None,
    agreement: DanceMove | None = None,
) -> str:
    """The chart of ``moves`` (each side's k-th offer in round k) as an SVG document."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    last_round = max((m.round for m in moves), default=1)
    span = max(1, last_round - 1)

    def x(round_: float) -> float:
        return LEFT + (round_ - 1) / span * plot_w if last_round > 1 else LEFT + plot_w / 2

    def y(utility: float) -> float:
        return TOP + (1.0 - min(1.0, max(0.0, utility))) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f"<title>{_text(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{WIDTH / 2:.1f}" y="28" text-anchor="middle" font-size="16" '
        f'font-weight="bold">{_text(title)}</text>',
    ]
    # Axes, grid and tick labels.
    for k in range(6):
        u = k / 5
        parts.append(
            f'<line x1="{LEFT}" y1="{y(u):.1f}" x2="{LEFT + plot_w}" y2="{y(u):.1f}" '
            f'stroke="#e6e6e6"/>'
            f'<text x="{LEFT - 8}" y="{y(u) + 4:.1f}" text-anchor="end">{u:.1f}</text>'
        )
    for r in _ticks(last_round):
        parts.append(
            f'<line x1="{x(r):.1f}" y1="{TOP + plot_h}" x2="{x(r):.1f}" y2="{TOP + plot_h + 5}" '
            f'stroke="#000000"/>'
            f'<text x="{x(r):.1f}" y="{TOP + plot_h + 19}" text-anchor="middle">{r}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#000000"/>'
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        f'stroke="#000000"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 14}" text-anchor="middle">'
        "round (each side's n-th offer)</text>"
        f'<text x="16" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + plot_h / 2:.1f})">utility</text>'
    )
    if reservation is not None:
        parts.append(
            f'<line x1="{LEFT}" y1="{y(reservation):.1f}" x2="{LEFT + plot_w}" '
            f'y2="{y(reservation):.1f}" stroke="{GREY}" stroke-width="1.5"/>'
        )
    made = [m for m in moves if not m.simulated]
    if made and len(made) < len(moves):
        now = max(m.round for m in made) + 0.5
        if now <= last_round:
            parts.append(
                f'<line x1="{x(now):.1f}" y1="{TOP}" x2="{x(now):.1f}" y2="{TOP + plot_h}" '
                f'stroke="{GREY}" stroke-dasharray="2 3"/>'
                f'<text x="{x(now) + 4:.1f}" y="{TOP + 12}" fill="{GREY}">now</text>'
            )
    # The four lines: each side's offers, by our utility (solid) and the buyer's (dashed).
    legend: list[tuple[str, str, bool]] = []
    for side in (Side.SELLER, Side.BUYER):
        own = [m for m in moves if m.side is side]
        if not own:
            continue
        colour = COLOURS[side]
        whose = "our offers" if side is Side.SELLER else "buyer's offers"
        for dashed, label in ((False, "our utility"), (True, "buyer's utility (modelled)")):
            points = [
                (x(m.round), y(m.buyer_utility if dashed else m.seller_utility), m) for m in own
            ]
            dash = ' stroke-dasharray="6 4"' if dashed else ""
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
            for px, py, m in points:
                fill = "#ffffff" if m.simulated else colour
                parts.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{fill}" stroke="{colour}"/>'
                )
            legend.append((f"{whose}: {label}", colour, dashed))
    if agreement is not None:
        for utility in (agreement.seller_utility, agreement.buyer_utility):
            parts.append(
                f'<circle cx="{x(agreement.round):.1f}" cy="{y(utility):.1f}" r="8" '
                f'fill="none" stroke="#2a9d3a" stroke-width="2"/>'
            )
    entries = [(text, colour, dashed, "line") for text, colour, dashed in legend]
    if reservation is not None:
        entries.append((f"our walk-away ({reservation:.2f})", GREY, False, "line"))
    if agreement is not None:
        entries.append(("agreement", "#2a9d3a", False, "ring"))
    if made and len(made) < len(moves):
        entries.append(("simulated (hollow dots)", GREY, False, "dot"))
    parts.extend(_legend(entries, LEFT + plot_w + 18, TOP + 6))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(entries: Sequence[tuple[str, str, bool, str]], lx: float, ly: float) -> list[str]:
    """The legend: one row per (text, colour, dashed, mark), the mark a line, ring or dot."""
    parts = []
    for n, (text, colour, dashed, mark) in enumerate(entries):
        row = ly + n * 20
        if mark == "ring":
            parts.append(
                f'<circle cx="{lx + 11}" cy="{row}" r="6" fill="none" stroke="{colour}" '
                'stroke-width="2"/>'
            )
        elif mark == "dot":
            parts.append(
                f'<circle cx="{lx + 11}" cy="{row}" r="3" fill="#ffffff" stroke="{colour}"/>'
            )
        else:
            dash = ' stroke-dasharray="6 4"' if dashed else ""
            parts.append(
                f'<line x1="{lx}" y1="{row}" x2="{lx + 22}" y2="{row}" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        parts.append(f'<text x="{lx + 30}" y="{row + 4}">{_text(text)}</text>')
    return parts
