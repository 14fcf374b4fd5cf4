"""Grouped horizontal bar charts as standalone SVG, with the Python standard library only (bench/report.py)."""
import math
from xml.sax.saxutils import escape

PALETTE = {"kafkio": "#2f6fb0", "librdkafka": "#c9b28f", "librdkafka-2.16": "#e08a2c", "franz-go": "#7b5ea7",
           "java": "#6a9f3a"}
FALLBACK = ["#7b5ea7", "#c0504d", "#4bacc6", "#8c8c8c"]


def _fmt(v):
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.0fk" % (v / 1e3)
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def _nice_ceiling(v):
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is >= v, so grid lines fall on round values."""
    power = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= v:
            return step * power
    return 10 * power


def grouped_bars(title, subtitle, categories, series, unit, path):
    """categories: labels (one group of bars each); series: [(name, [value or None per category])]."""
    bar_h, gap, label_w, plot_w, right = 11, 9, 210, 560, 70
    group_h = bar_h * len(series) + gap
    top = 62
    height = top + group_h * len(categories) + 30
    width = label_w + plot_w + right
    vmax = _nice_ceiling(max([v for _, vals in series for v in vals if v is not None] or [1]) or 1)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="Helvetica, Arial, sans-serif" font-size="11">' % (width, height, width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="15" font-weight="bold">%s</text>' % escape(title),
           '<text x="10" y="37" fill="#555">%s</text>' % escape(subtitle)]
    x = 10
    for i, (name, _) in enumerate(series):  # legend
        color = PALETTE.get(name, FALLBACK[i % len(FALLBACK)])
        out.append('<rect x="%d" y="45" width="10" height="10" fill="%s"/>' % (x, color))
        out.append('<text x="%d" y="54">%s</text>' % (x + 14, escape(name)))
        x += 24 + 7 * len(name)
    for tick in range(0, 5):  # grid
        tx = label_w + plot_w * tick / 4
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (tx, top - 4, tx, height - 26))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' % (
            tx, height - 12, escape(_fmt(vmax * tick / 4))))
    out.append('<text x="%d" y="%d" text-anchor="end" fill="#555">%s</text>' % (width - 5, height - 12, escape(unit)))
    for c, cat in enumerate(categories):
        y0 = top + c * group_h
        out.append('<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>' % (
            label_w - 6, y0 + bar_h * len(series) / 2, escape(cat)))
        for i, (name, vals) in enumerate(series):
            v = vals[c]
            color = PALETTE.get(name, FALLBACK[i % len(FALLBACK)])
            y = y0 + i * bar_h
            w = 0 if v is None else max(1.0, plot_w * v / vmax)
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s %s</title></rect>' % (
                label_w, y, w, bar_h - 2, color, escape(name), escape(_fmt(v)), escape(unit)))
            out.append('<text x="%.1f" y="%d" font-size="9" fill="#333">%s</text>' % (
                label_w + w + 3, y + bar_h - 3, escape(_fmt(v))))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
