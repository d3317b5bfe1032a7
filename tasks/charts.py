"""Small inline-SVG charts for the HTML report: no plotting library, no external assets."""

from __future__ import annotations

from html import escape

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _fmt(v: float) -> str:
    if abs(v) >= 1e9:
        return f"{v / 1e9:.1f}B"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:g}"


def hbar(title: str, data: dict[str, float], width: int = 560, unit: str = "") -> str:
    """Horizontal bars, largest first: for counts or money by category."""
    items = sorted(data.items(), key=lambda kv: -kv[1])
    if not items:
        return f"<figure><figcaption>{escape(title)}</figcaption><p class='empty'>nothing to show</p></figure>"
    row, label_w, top = 22, 190, 8
    height = top + row * len(items) + 8
    peak = max(v for _, v in items) or 1
    bars = []
    for i, (label, v) in enumerate(items):
        y = top + i * row
        w = (width - label_w - 80) * (v / peak)
        bars.append(
            f"<text x='{label_w - 6}' y='{y + 14}' text-anchor='end'>{escape(str(label))}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{w:.1f}' height='{row - 6}' fill='{PALETTE[i % len(PALETTE)]}'>"
            f"<title>{escape(str(label))}: {v:,.2f}{unit}</title></rect>"
            f"<text x='{label_w + w + 4:.1f}' y='{y + 14}'>{_fmt(v)}{unit}</text>"
        )
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f"<svg width='{width}' height='{height}' role='img' aria-label='{escape(title)}'>{''.join(bars)}</svg></figure>"
    )


def stacked(title: str, data: dict[str, dict[str, float]], width: int = 560) -> str:
    """Stacked horizontal bars: rows (e.g. brokers) split by series (e.g. break types), with a legend."""
    rows = sorted(data, key=lambda r: -sum(data[r].values()))
    series = sorted({s for r in rows for s in data[r]})
    if not rows:
        return f"<figure><figcaption>{escape(title)}</figcaption><p class='empty'>nothing to show</p></figure>"
    row_h, label_w, top = 24, 120, 8
    legend_h = 18 * ((len(series) + 2) // 3)
    height = top + row_h * len(rows) + 12 + legend_h
    peak = max(sum(data[r].values()) for r in rows) or 1
    parts = []
    for i, r in enumerate(rows):
        y, x = top + i * row_h, float(label_w)
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>{escape(r)}</text>")
        for j, s in enumerate(series):
            v = data[r].get(s, 0)
            w = (width - label_w - 60) * v / peak
            if w > 0:
                parts.append(
                    f"<rect x='{x:.1f}' y='{y + 3}' width='{w:.1f}' height='{row_h - 6}' fill='{PALETTE[j % len(PALETTE)]}'>"
                    f"<title>{escape(r)} / {escape(s)}: {v:,.0f}</title></rect>"
                )
                x += w
        parts.append(f"<text x='{x + 4:.1f}' y='{y + 15}'>{_fmt(sum(data[r].values()))}</text>")
    ly = top + row_h * len(rows) + 10
    for j, s in enumerate(series):
        lx, lyy = 10 + (j % 3) * (width // 3), ly + 18 * (j // 3)
        parts.append(
            f"<rect x='{lx}' y='{lyy}' width='10' height='10' fill='{PALETTE[j % len(PALETTE)]}'/>"
            f"<text x='{lx + 14}' y='{lyy + 9}'>{escape(s)}</text>"
        )
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f"<svg width='{width}' height='{height}' role='img' aria-label='{escape(title)}'>{''.join(parts)}</svg></figure>"
    )
