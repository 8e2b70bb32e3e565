"""``report.html``: the report as one self-contained page (inline CSS and SVG, no network)."""

from __future__ import annotations

from html import escape
from typing import Any

from .view import APPROVERS, STEP_TITLES, ReportView

_BAR_HEIGHT = 18
_CHART_WIDTH = 640


def render(view: ReportView) -> str:
    """The whole page."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(
        loader=PackageLoader("pggate.evidence", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = _code
    template = env.get_template("report.html.j2")
    migrations = [
        (f"{m['version']} {m['name']}", float(m.get("duration_ms", 0))) for m in view.applied()
    ]
    perf = view.perf_rows()
    return (
        template.render(
            view=view,
            titles=STEP_TITLES,
            approvers=APPROVERS,
            migrations_chart=Markup(bars(migrations, unit="ms")) if migrations else None,  # noqa: S704 - built from escaped text
            perf_chart=Markup(paired_bars(perf)) if perf else None,  # noqa: S704 - built from escaped text
        ).rstrip()
        + "\n"
    )


def bars(items: list[tuple[str, float]], *, unit: str) -> str:
    """A horizontal bar chart as inline SVG (labels escaped)."""
    top = max((value for _, value in items), default=0) or 1
    label_width = 260
    span = _CHART_WIDTH - label_width - 90
    rows = []
    for index, (label, value) in enumerate(items):
        y = index * (_BAR_HEIGHT + 6)
        width = max(1.0, span * value / top)
        rows.append(
            f'<text x="0" y="{y + 13}" class="label">{escape(_short(label))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="{_BAR_HEIGHT}" class="bar"/>'
            f'<text x="{label_width + width + 6:.1f}" y="{y + 13}" class="value">{value:.1f} {unit}</text>'
        )
    height = len(items) * (_BAR_HEIGHT + 6)
    return _svg(height, "".join(rows), "bar chart")


def paired_bars(rows: list[dict[str, Any]]) -> str:
    """Before/after bars per bench query (median ms)."""
    values = [v for r in rows for v in (r["before_ms"], r["after_ms"]) if v is not None]
    top = max(values, default=0) or 1
    label_width = 260
    span = _CHART_WIDTH - label_width - 90
    parts = []
    for index, row in enumerate(rows):
        y = index * (2 * _BAR_HEIGHT + 12)
        parts.append(f'<text x="0" y="{y + 20}" class="label">{escape(_short(row["file"]))}</text>')
        for offset, key, css in ((0, "before_ms", "before"), (_BAR_HEIGHT, "after_ms", "after")):
            value = row[key]
            if value is None:
                continue
            width = max(1.0, span * value / top)
            parts.append(
                f'<rect x="{label_width}" y="{y + offset}" width="{width:.1f}" height="{_BAR_HEIGHT - 2}" class="{css}"/>'
                f'<text x="{label_width + width + 6:.1f}" y="{y + offset + 12}" class="value">{key[:-3]} {value:.2f} ms</text>'
            )
    height = len(rows) * (2 * _BAR_HEIGHT + 12)
    return _svg(height, "".join(parts), "bench queries before and after")


def _svg(height: int, body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_CHART_WIDTH}" '
        f'height="{max(height, 1)}" viewBox="0 0 {_CHART_WIDTH} {max(height, 1)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _code(text: str) -> Any:
    """Escape ``text`` and show its `backticked` parts as code."""
    import re

    from markupsafe import Markup

    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(str(text))))  # noqa: S704 - escaped first


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
