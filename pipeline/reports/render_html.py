"""A self-contained HTML page (inline CSS, charts as base64 PNG; nothing fetched from elsewhere)."""

from __future__ import annotations

import base64
from html import escape

from pipeline.reports.labels import LEVEL_LABELS
from pipeline.reports.view import CHILD_HEADER, MAX_SHORT_ROWS, SHORT_HEADER, ReportView

STYLE = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}
td:first-child,th:first-child,td.t,th.t{text-align:left}
th{background:#eef}.kurang{color:#b71c1c;font-weight:bold}
.chart img{max-width:100%;height:auto}
"""


def _table(header: list[str], rows: list[list[str]], text_cols: int = 1) -> str:
    head = "".join(f'<th class="t">{escape(h)}</th>' if i < text_cols else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f'<td class="t">{escape(v)}</td>' if i < text_cols else f"<td>{escape(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(view: ReportView) -> bytes:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="id"><head><meta charset="utf-8">',
        f"<title>{escape(view.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(view.title)}</h1>",
        f"<p>Tanggal laporan: {escape(view.date)}. Data per {escape(view.as_of.strftime('%Y-%m-%d %H:%M'))} UTC. "
        f"Kode wilayah: {escape(view.scope)}.</p>",
        "<h2>Ringkasan</h2>",
        _table(["Keterangan", "Jumlah"], [[k, v] for k, v in view.key_figures()]),
    ]
    for chart in view.charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(f'<h2>{escape(chart.title)}</h2><div class="chart">'
                     f'<img alt="{escape(chart.title)}" src="data:image/png;base64,{data}"></div>')
    parts += [
        f"<h2>Rincian per {escape(LEVEL_LABELS[view.child_level])}</h2>",
        _table(CHILD_HEADER, view.child_rows(), text_cols=2),
        "<h2>Alasan</h2>",
        _table(["Kelompok", "Alasan", "Jumlah"], [[g, label, str(n)] for g, label, n in view.reason_rows()],
               text_cols=2),
        f"<h2>TPS kurang calon KPPS (terparah dahulu): {view.shortage_total} TPS</h2>",
    ]
    if view.shortage_total > MAX_SHORT_ROWS:
        parts.append(f"<p>Ditampilkan {MAX_SHORT_ROWS} TPS pertama; daftar lengkap ada di tps_kurang.csv.</p>")
    parts.append(_table(SHORT_HEADER, view.shortage_rows(), text_cols=2))
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
