"""Report charts drawn with matplotlib (Agg backend), as PNG: embedded (base64) in the HTML page and
placed in the PDF. One rendering serves both.

Bars are sorted by value, largest at the top; counts get whole-number ticks; legends sit below the plot,
outside it, so they never cover a bar. The `*_figure` functions return the figure before it is
rendered (tests look at it); the `*_chart` functions render it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from pipeline.reports.aggregate import AreaReport  # noqa: E402
from pipeline.reports.labels import CANDIDATE, MISSING_LABELS, STATUS_LABELS, reason_table  # noqa: E402

MAX_BARS = 40  # Jawa Timur has 38 kabupaten/kota: all fit
STATUS_COLOURS = ("#2e7d32", "#f9a825", "#1565c0", "#c62828")


@dataclass
class Chart:
    title: str
    png: bytes


def _render(fig: Figure, title: str) -> Chart:
    png_buf = io.BytesIO()
    fig.savefig(png_buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Chart(title=title, png=png_buf.getvalue())


def _axes(bars: int, title: str, xlabel: str) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(8, 0.3 * bars + 2.0), layout="constrained")
    fig.suptitle(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(y=0.01)
    return fig, ax


def _legend(fig: Figure, columns: int) -> None:
    fig.legend(loc="outside lower center", ncol=columns, fontsize=8, frameon=False)


def _top(items: list, key) -> list:
    """At most MAX_BARS items, largest `key` first; reversed for barh, which draws the first at the bottom."""
    return sorted(items, key=key)[:MAX_BARS][::-1]


def status_figure(areas: list[tuple[str, AreaReport]], level_label: str) -> Figure:
    shown = _top(areas, key=lambda a: (-a[1].counts.received, a[0]))
    names = [name for name, _ in shown]
    series = [
        [a.counts.complete for _, a in shown],
        [a.counts.incomplete for _, a in shown],
        [a.counts.needs_review for _, a in shown],
        [a.counts.not_eligible for _, a in shown],
    ]
    fig, ax = _axes(len(names), f"Status berkas per {level_label} (urut menurut jumlah berkas)", "Jumlah berkas")
    left = [0] * len(names)
    for values, key, colour in zip(series, STATUS_LABELS, STATUS_COLOURS, strict=True):
        ax.barh(names, values, left=left, color=colour, label=STATUS_LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    _legend(fig, 4)
    return fig


def status_chart(areas: list[tuple[str, AreaReport]], level_label: str) -> Chart:
    return _render(status_figure(areas, level_label), f"Status berkas per {level_label}")


def staffing_figure(areas: list[tuple[str, AreaReport]], level_label: str) -> Figure:
    shown = _top(areas, key=lambda a: (-a[1].staffing.tps_short, -a[1].staffing.tps, a[0]))
    names = [name for name, _ in shown]
    short = [a.staffing.tps_short for _, a in shown]
    full = [a.staffing.tps_full for _, a in shown]
    title = f"Kecukupan calon KPPS per {level_label} (urut menurut TPS kurang calon)"
    fig, ax = _axes(len(names), title, "Jumlah TPS")
    ax.barh(names, short, color="#c62828", label="TPS kurang calon")
    ax.barh(names, full, left=short, color="#2e7d32", label="TPS terpenuhi (7 calon)")
    _legend(fig, 2)
    return fig


def staffing_chart(areas: list[tuple[str, AreaReport]], level_label: str) -> Chart:
    return _render(staffing_figure(areas, level_label), f"Kecukupan calon KPPS per {level_label}")


def reasons_figure(total: AreaReport) -> Figure:
    """Candidate problems only: reading problems have their own section (the official cannot act on them)."""
    c, table = total.counts, reason_table()
    items = [(f"Kurang: {MISSING_LABELS.get(k, k)}", n) for k, n in c.missing.items()]
    items += [(f"Periksa: {table.label(k)}", n) for k, n in c.review_reasons.items()
              if table.section_of(k) == CANDIDATE]
    items += [(f"TMS: {table.label(k)}", n) for k, n in c.not_eligible_reasons.items()]
    shown = _top(items, key=lambda i: (-i[1], i[0]))
    fig, ax = _axes(len(shown), "Masalah berkas calon terbanyak", "Jumlah berkas")
    ax.barh([label for label, _ in shown], [n for _, n in shown], color="#1565c0")
    return fig


def reasons_chart(total: AreaReport) -> Chart:
    return _render(reasons_figure(total), "Masalah berkas calon terbanyak")
