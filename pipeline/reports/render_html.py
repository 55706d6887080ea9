"""A self-contained HTML page (inline CSS, charts as base64 PNG; nothing fetched from elsewhere)."""

from __future__ import annotations

import base64
from html import escape

from pipeline.reports.view import ReportView, Table

STYLE = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:1.5em;color:#222;max-width:80em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}h3{font-size:1em}
p.meta{margin:.2em 0;color:#444}p.note{color:#444}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}
td.t,th.t{text-align:left}
th{background:#eef}
.chart img{max-width:100%;height:auto}
"""


def html_table(table: Table) -> str:
    if not table.rows:
        return "<p>(tidak ada)</p>"

    def cells(row: list[str], tag: str) -> str:
        return "".join(
            f'<{tag} class="t">{escape(v)}</{tag}>' if i < table.text_cols else f"<{tag}>{escape(v)}</{tag}>"
            for i, v in enumerate(row)
        )

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in table.rows)
    return f"<table><thead><tr>{cells(table.header, 'th')}</tr></thead><tbody>{body}</tbody></table>"


def render_html(view: ReportView) -> bytes:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="id"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(view.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(view.title)}</h1>",
    ]
    parts += [f'<p class="meta">{escape(line)}</p>' for line in view.header_lines()]
    for section in view.sections():
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts += [f'<p class="note">{escape(note)}</p>' for note in section.notes]
        for heading, table in section.tables:
            if heading:
                parts.append(f"<h3>{escape(heading)}</h3>")
            parts.append(html_table(table))
        for chart in section.charts:
            data = base64.b64encode(chart.png).decode("ascii")
            parts.append(f'<div class="chart"><img alt="{escape(chart.title)}" '
                         f'src="data:image/png;base64,{data}"></div>')
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
