"""The PDF report, laid out with ReportLab (platypus), charts as PNG from matplotlib."""

from __future__ import annotations

import io
from html import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipeline.reports.labels import LEVEL_LABELS
from pipeline.reports.view import CHILD_HEADER, MAX_SHORT_ROWS, SHORT_HEADER, ReportView

TABLE_STYLE = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeff")),
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def _table(header: list[str], rows: list[list[str]]) -> Table:
    table = Table([header, *rows], repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def _image(png: bytes, max_width: float, max_height: float) -> Image:
    width, height = ImageReader(io.BytesIO(png)).getSize()
    scale = min(max_width / width, max_height / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def render_pdf(view: ReportView) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.2 * cm,
        bottomMargin=1.2 * cm, title=view.title, author="Berkas",
    )
    frame_w, frame_h = doc.width, doc.height - 2 * cm
    story: list = [
        Paragraph(escape(view.title), styles["Title"]),
        Paragraph(
            f"Tanggal laporan: {view.date}. Data per {view.as_of.strftime('%Y-%m-%d %H:%M')} UTC. "
            f"Kode wilayah: {view.scope}.", styles["Normal"],
        ),
        Spacer(1, 0.4 * cm),
        Paragraph("Ringkasan", styles["Heading2"]),
        _table(["Keterangan", "Jumlah"], [[k, v] for k, v in view.key_figures()]),
    ]
    for chart in view.charts:
        story += [PageBreak(), Paragraph(escape(chart.title), styles["Heading2"]), _image(chart.png, frame_w, frame_h)]
    story += [
        PageBreak(),
        Paragraph(f"Rincian per {LEVEL_LABELS[view.child_level]}", styles["Heading2"]),
        _table(CHILD_HEADER, view.child_rows()),
        Paragraph("Alasan", styles["Heading2"]),
        _table(["Kelompok", "Alasan", "Jumlah"], [[g, label, str(n)] for g, label, n in view.reason_rows()]),
        PageBreak(),
        Paragraph(f"TPS kurang calon KPPS (terparah dahulu): {view.shortage_total} TPS", styles["Heading2"]),
    ]
    if view.shortage_total > MAX_SHORT_ROWS:
        story.append(Paragraph(
            f"Ditampilkan {MAX_SHORT_ROWS} TPS pertama; daftar lengkap ada di tps_kurang.csv.", styles["Normal"]
        ))
    story.append(_table(SHORT_HEADER, view.shortage_rows()))
    doc.build(story)
    return buffer.getvalue()
