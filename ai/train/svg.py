"""Loss curves as a self-contained SVG (no matplotlib)."""
import math

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def _nice_ticks(lo, hi, n=5):
    span = hi - lo if hi > lo else 1.0
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 5, 10):
        if span / (m * step) <= n:
            step *= m
            break
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-12:
        out.append(t)
        t += step
    return out


def loss_curves(series, title="loss", logy=True, width=640, height=400):
    """series: {label: [(step, value), ...]} -> SVG text."""
    pts = [(s, v) for ser in series.values() for s, v in ser if v > 0 or not logy]
    if not pts:
        pts = [(0, 1), (1, 1)]
    fy = (lambda v: math.log10(v)) if logy else (lambda v: v)
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(fy(p[1]) for p in pts), max(fy(p[1]) for p in pts)
    if x1 == x0:
        x1 = x0 + 1
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 0.5, y1 + 0.5
    L, R, T, B = 70, 20, 40, 50
    pw, ph = width - L - R, height - T - B

    def X(s):
        return L + (s - x0) / (x1 - x0) * pw

    def Y(v):
        return T + (1 - (fy(v) - y0) / (y1 - y0)) * ph

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
         f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for s in _nice_ticks(x0, x1):
        o.append(f'<line x1="{X(s):.1f}" y1="{T + ph}" x2="{X(s):.1f}" y2="{T + ph + 4}" stroke="#888"/>')
        o.append(f'<text x="{X(s):.1f}" y="{T + ph + 18}" text-anchor="middle">{s:g}</text>')
    for e in _nice_ticks(y0, y1):
        v = 10 ** e if logy else e
        yy = Y(v)
        o.append(f'<line x1="{L}" y1="{yy:.1f}" x2="{L + pw}" y2="{yy:.1f}" stroke="#eee"/>')
        o.append(f'<text x="{L - 6}" y="{yy + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    o.append(f'<text x="{L + pw / 2}" y="{height - 10}" text-anchor="middle">step</text>')
    for i, (label, ser) in enumerate(series.items()):
        c = COLOURS[i % len(COLOURS)]
        p = " ".join(f"{X(s):.1f},{Y(v):.1f}" for s, v in ser if v > 0 or not logy)
        if p:
            o.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{p}"/>')
        o.append(f'<text x="{L + pw - 8}" y="{T + 16 + 16 * i}" text-anchor="end" fill="{c}">{label}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"
