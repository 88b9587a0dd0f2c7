"""Rank charts as inline SVG (pure): no script, the page's text colour (``currentColor``)
so they follow dark mode, a ``viewBox`` so they scale to a phone's width."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

History = Sequence[tuple[datetime, int]]


def _points(history: History, width: float, height: float, worst: int, pad: float) -> str:
    times = [t.timestamp() for t, _ in history]
    t0, t1 = min(times), max(times)
    spread = (t1 - t0) or 1.0
    # Rank 1 on top; a steady rank is a flat line, drawn across the whole box.
    scale_y = (height - 2 * pad) / max(worst - 1, 1)
    coords = []
    for (_when, rank), t in zip(history, times, strict=True):
        x = pad + (width - 2 * pad) * ((t - t0) / spread if t1 > t0 else 0.0)
        y = pad + (rank - 1) * scale_y
        coords.append(f"{x:.1f},{y:.1f}")
    if len(coords) == 1:
        coords.append(f"{width - pad:.1f},{coords[0].split(',')[1]}")
    return " ".join(coords)


def sparkline(history: History, *, worst: int, label: str) -> str:
    """A small rank line (120 × 24) for a list row."""
    if not history:
        return ""
    points = _points(history, 120, 24, worst, 2)
    return (
        '<svg class="spark" viewBox="0 0 120 24" width="120" height="24" role="img"'
        f' aria-label="{escape(label, {chr(34): "&quot;"})}">'
        f'<polyline points="{points}" fill="none" stroke="currentColor" stroke-width="1.5"'
        ' stroke-linejoin="round"/></svg>'
    )


def rank_chart(history: History, *, worst: int, start: str, end: str, label: str) -> str:
    """The item page's chart (360 × 150, as wide as the page up to 600 px): rank axis with
    #1 at the top, time from ``start`` to ``end`` (already formatted)."""
    if not history:
        return ""
    worst = max(worst, max(rank for _, rank in history))
    points = _points(history, 320, 110, worst, 5)
    attrs = 'fill="currentColor" font-size="11"'
    return (
        '<svg class="rank-chart" viewBox="0 0 360 150" width="100%" role="img"'
        f' aria-label="{escape(label, {chr(34): "&quot;"})}" style="max-width:600px">'
        f'<g transform="translate(34,8)"><polyline points="{points}" fill="none"'
        ' stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>'
        '<line x1="0" y1="0" x2="0" y2="110" stroke="currentColor" stroke-opacity=".3"/>'
        '<line x1="0" y1="110" x2="320" y2="110" stroke="currentColor" stroke-opacity=".3"/>'
        "</g>"
        f'<text x="28" y="18" text-anchor="end" {attrs}>#1</text>'
        f'<text x="28" y="118" text-anchor="end" {attrs}>#{worst}</text>'
        f'<text x="34" y="138" {attrs}>{escape(start)}</text>'
        f'<text x="354" y="138" text-anchor="end" {attrs}>{escape(end)}</text>'
        "</svg>"
    )
