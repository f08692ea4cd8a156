"""Charts for the admin and auditor dashboard, drawn on the server as SVG geometry (no script, no network)."""

import math

WIDTH, HEIGHT = 380, 160  # the viewBox of a column chart; the page scales it to the card
LEFT, BOTTOM, TOP = 30, 22, 8


def _nice_max(value: float) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50, ... at or above the largest value."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return int(next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value))


def column_chart(labels: list[str], values: list[int | float]) -> dict:
    """One column per label (days), with a y axis of three gridlines."""
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - 18, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(1, len(values))
    columns = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        columns.append({"x": round(LEFT + i * slot + slot * 0.15, 2), "y": round(TOP + plot_h - h, 2),
                        "width": round(slot * 0.7, 2), "height": round(h, 2), "label": label, "value": value,
                        "label_x": round(LEFT + i * slot + slot / 2, 2),
                        "show_label": len(values) <= 8 or (len(values) - 1 - i) % 2 == 0})
    grid = [{"y": round(TOP + plot_h - plot_h * f, 2), "value": f"{top * f:g}"} for f in (0, 0.5, 1)]
    return {"width": WIDTH, "height": HEIGHT, "columns": columns, "grid": grid, "baseline": TOP + plot_h,
            "label_y": HEIGHT - 6, "left": LEFT, "total": sum(values)}


def bar_list(pairs: list[tuple[str, int | float]]) -> list[dict]:
    """Horizontal bars as percentages of the largest value, for a labelled list (blocks by category)."""
    top = max((value for _, value in pairs), default=0) or 1
    return [{"label": label, "value": value, "width": round(100 * value / top, 1)} for label, value in pairs]


def share_bar(parts: dict[str, int]) -> list[dict]:
    """One bar split into parts (verifications by verdict), each part's x and width in a 0..100 box."""
    total = sum(parts.values())
    x, segments = 0.0, []
    for name, value in parts.items():
        width = 100 * value / total if total else 0
        segments.append({"name": name, "value": value, "x": round(x, 2), "width": round(width, 2),
                         "percent": round(width)})
        x += width
    return segments


def duration(seconds: float | None) -> str:
    """A wait in the largest sensible unit: 45 s, 12 min, 3.5 h, 2.0 days."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
