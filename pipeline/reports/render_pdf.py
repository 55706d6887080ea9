"""The PDF report, laid out with ReportLab (platypus), charts as PNG from matplotlib.

Tables: names left-aligned (wrapped inside their column when too long), figures right-aligned, the header row
repeated on every page (`repeatRows`), a row never cut across pages (`splitInRow=0`: a table breaks only
between rows), and a heading never left alone at the foot of a page (`CondPageBreak`).
"""

from __future__ import annotations

import io
from html import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from pipeline.reports.view import ReportView
from pipeline.reports.view import Table as TextTable

FONT_SIZE = 7.5
PADDING = 14  # points: the cell's left and right padding (6 + 6), with a little room
MAX_NAME = 9 * cm  # a longer name wraps inside its cell
STYLES = getSampleStyleSheet()
CELL = ParagraphStyle("cell", STYLES["Normal"], fontName="Helvetica", fontSize=FONT_SIZE, leading=FONT_SIZE + 1.5)
CELL_RIGHT = ParagraphStyle("cell_right", CELL, alignment=TA_RIGHT)
HEAD = ParagraphStyle("head", CELL, fontName="Helvetica-Bold")
HEAD_RIGHT = ParagraphStyle("head_right", HEAD, alignment=TA_RIGHT)
CHART_HEIGHT = 0.6  # of the page's frame: a chart leaves room for its table on the same page
KEEP_BELOW_HEADING = 3 * cm  # a heading with less room than this below it starts a new page

TABLE_STYLE = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", FONT_SIZE, FONT_SIZE + 1.5),
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", FONT_SIZE, FONT_SIZE + 1.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeff")),
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
])


def _text_width(text: str, font: str = "Helvetica") -> float:
    return stringWidth(text, font, FONT_SIZE) + PADDING


def _widths(table: TextTable, frame_w: float) -> list[float]:
    """Each column as wide as its longest cell (a name no wider than MAX_NAME), never narrower than its
    longest word; when that is wider than the page, name columns give way down to their longest word."""
    columns = list(zip(table.header, *table.rows, strict=True))
    floor = [max(_text_width(w, "Helvetica-Bold") for w in str(col[0]).split() or [""]) for col in columns]
    for i, col in enumerate(columns):
        floor[i] = max(floor[i], *(max((_text_width(w) for w in c.split()), default=0) for c in col[1:]))
    natural = [min(max(_text_width(c) for c in col[1:]) if len(col) > 1 else 0, MAX_NAME) for col in columns]
    widths = [max(n, f) for n, f in zip(natural, floor, strict=True)]
    excess = sum(widths) - frame_w
    names = range(table.text_cols)
    give = sum(widths[i] - floor[i] for i in names)
    if excess > 0 and give > 0:
        share = min(1.0, excess / give)
        for i in names:
            widths[i] -= (widths[i] - floor[i]) * share
    return widths


def pdf_table(table: TextTable, frame_w: float) -> Table:
    """A platypus Table from a text table. A cell too long for its column is a Paragraph (it wraps, never
    overflows); the others stay plain strings, which lay out much faster."""
    cut = table.text_cols
    widths = _widths(table, frame_w)

    def cells(row: list[str], font: str, left: ParagraphStyle, right: ParagraphStyle) -> list:
        return [
            value if _text_width(value, font) <= widths[i]
            else Paragraph(escape(value), left if i < cut else right)
            for i, value in enumerate(row)
        ]

    data = [cells(table.header, "Helvetica-Bold", HEAD, HEAD_RIGHT)]
    data += [cells(r, "Helvetica", CELL, CELL_RIGHT) for r in table.rows]
    out = Table(data, colWidths=widths, repeatRows=1, splitByRow=1, splitInRow=0, hAlign="LEFT")
    out.setStyle(TABLE_STYLE)
    out.setStyle(TableStyle([("ALIGN", (0, 0), (cut - 1, -1), "LEFT"), ("ALIGN", (cut, 0), (-1, -1), "RIGHT")]))
    return out


def _image(png: bytes, max_width: float, max_height: float) -> Image:
    width, height = ImageReader(io.BytesIO(png)).getSize()
    scale = min(max_width / width, max_height / height, 1.0)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale, hAlign="LEFT")


def render_pdf(view: ReportView) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.2 * cm,
        bottomMargin=1.2 * cm, title=view.title, author="Berkas",
    )
    frame_w, frame_h = doc.width, doc.height - 2 * cm
    story: list = [Paragraph(escape(view.title), STYLES["Title"])]
    story += [Paragraph(escape(line), STYLES["Normal"]) for line in view.header_lines()]
    for section in view.sections():
        story += [PageBreak() if section.new_page else Spacer(1, 0.3 * cm), CondPageBreak(KEEP_BELOW_HEADING),
                  Paragraph(escape(section.title), STYLES["Heading2"])]
        story += [Paragraph(escape(note), STYLES["Normal"]) for note in section.notes]
        story.append(Spacer(1, 0.15 * cm))
        for heading, table in section.tables:
            if heading:
                story += [CondPageBreak(KEEP_BELOW_HEADING), Paragraph(escape(heading), STYLES["Heading3"])]
            if table.rows:
                story.append(pdf_table(table, frame_w))
            else:
                story.append(Paragraph("(tidak ada)", STYLES["Normal"]))
        for chart in section.charts:
            story += [Spacer(1, 0.3 * cm), _image(chart.png, frame_w, CHART_HEIGHT * frame_h)]
    doc.build(story)
    return buffer.getvalue()
