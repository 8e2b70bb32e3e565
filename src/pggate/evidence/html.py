"""``report.html``: the report as one self-contained page (inline CSS and SVG, no network)."""

from __future__ import annotations

from html import escape
from typing import Any

from .view import APPROVERS, STEP_TITLES, ReportView

_TIMELINE_WIDTH = 1040

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
    env.filters["ident"] = _ident
    env.filters["diff"] = _diff
    template = env.get_template("report.html.j2")
    slowest = max((float(m.get("duration_ms") or 0) for m in view.applied()), default=0) or 1
    perf = view.perf_rows()
    return (
        template.render(
            view=view,
            titles=STEP_TITLES,
            approvers=APPROVERS,
            timeline=Markup(timeline(view.timeline())),  # noqa: S704 - built from escaped text
            slowest_migration=slowest,
            perf_chart=Markup(paired_bars(perf)) if perf else None,  # noqa: S704 - built from escaped text
        ).rstrip()
        + "\n"
    )


def timeline(steps: list[dict[str, Any]]) -> str:
    """The steps on one time axis: a bar per step from its start to its end, coloured by status.

    Each row also carries the step's name, status and duration as text, so a step too
    short to see as a bar still reads; skipped steps show why.
    """
    total = sum(s["duration_ms"] for s in steps) or 1.0
    label, right = 150, 330
    span = _TIMELINE_WIDTH - label - right
    rows, start = [], 0.0
    for index, step in enumerate(steps):
        y = index * 22
        x = label + span * start / total
        width = max(2.0, span * step["duration_ms"] / total)
        status = step["status"]
        text = f"{status.upper()} · {_seconds(step['duration_ms'])}"
        if step["note"]:
            text += f" · {_short(step['note'], 46)}"
        rows.append(
            f'<text x="0" y="{y + 14}">{escape(step["title"])}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="14" rx="3" class="s-{escape(status)}">'
            f"<title>{escape(step['verified'])}</title></rect>"
            f'<text x="{label + span + 10}" y="{y + 14}" class="muted">{escape(text)}</text>'
        )
        start += step["duration_ms"]
    height = len(steps) * 22 + 18
    axis = (
        f'<line x1="{label}" y1="{height - 14}" x2="{label + span}" y2="{height - 14}" class="axis"/>'
        f'<text x="{label}" y="{height - 2}" class="muted">0 s</text>'
        f'<text x="{label + span - 40}" y="{height - 2}" class="muted">{escape(_seconds(total))}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
        f'viewBox="0 0 {_TIMELINE_WIDTH} {height}" class="timeline">'
        f"<title>step timeline</title>{''.join(rows)}{axis}</svg>"
    )


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 100 else f"{ms:.0f} ms"


def paired_bars(rows: list[dict[str, Any]]) -> str:
    """Before/after bars per bench query (median ms), the label centred on its bars."""
    values = [v for r in rows for v in (r["before_ms"], r["after_ms"]) if v is not None]
    top = max(values, default=0) or 1
    label_width = 260
    span = _CHART_WIDTH - label_width - 90
    parts, y = [], 0
    for row in rows:
        bars = [
            (k, css)
            for k, css in (("before_ms", "before"), ("after_ms", "after"))
            if row[k] is not None
        ]
        block = max(1, len(bars)) * _BAR_HEIGHT
        parts.append(
            f'<text x="0" y="{y + block / 2 + 4:.0f}" class="label">{escape(_short(row["file"]))}</text>'
        )
        for index, (key, css) in enumerate(bars):
            value = row[key]
            top_y = y + index * _BAR_HEIGHT
            width = max(1.0, span * value / top)
            parts.append(
                f'<rect x="{label_width}" y="{top_y}" width="{width:.1f}" height="{_BAR_HEIGHT - 2}" class="{css}"/>'
                f'<text x="{label_width + width + 6:.1f}" y="{top_y + 12}" class="value">{key[:-3]} {value:.2f} ms</text>'
            )
        y += block + 10
    return _svg(y, "".join(parts), "bench queries before and after")


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


def _ident(text: str) -> Any:
    """An identifier as code that wraps only after its dots, commas and parentheses, never mid-name."""
    import re

    from markupsafe import Markup

    escaped = str(escape(str(text)))
    return Markup("<code>" + re.sub(r"([.,(])", r"\1<wbr>", escaped) + "</code>")  # noqa: S704 - escaped first


def _diff(lines: list[str]) -> Any:
    """Schema diff lines (``+ added``, ``- missing``, ``~ changed``) as a coloured block."""
    from markupsafe import Markup

    css = {"+": "add", "-": "del", "~": "chg"}
    body = "\n".join(
        f'<span class="{css.get(line[:1], "")}">{escape(line)}</span>' for line in lines
    )
    return Markup(f'<pre class="diff">{body}</pre>')  # noqa: S704 - escaped first


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
