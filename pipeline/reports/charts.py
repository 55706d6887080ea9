"""Report charts drawn with matplotlib (Agg backend), as PNG: embedded (base64) in the HTML page and
placed in the PDF. One rendering serves both."""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pipeline.reports.aggregate import AreaReport  # noqa: E402
from pipeline.reports.labels import MISSING_LABELS, REASON_LABELS, STATUS_LABELS  # noqa: E402

MAX_BARS = 40  # Jawa Timur has 38 kabupaten/kota: all fit
STATUS_COLOURS = ("#2e7d32", "#f9a825", "#1565c0", "#c62828")


@dataclass
class Chart:
    title: str
    png: bytes


def _render(fig: plt.Figure, title: str) -> Chart:
    png_buf = io.BytesIO()
    fig.savefig(png_buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Chart(title=title, png=png_buf.getvalue())


def _largest(areas: list[tuple[str, AreaReport]]) -> list[tuple[str, AreaReport]]:
    """At most MAX_BARS areas, the largest by dossiers received, in name order."""
    top = sorted(areas, key=lambda a: -max(a[1].counts.received, a[1].staffing.tps))[:MAX_BARS]
    return sorted(top, key=lambda a: a[0], reverse=True)


def status_chart(areas: list[tuple[str, AreaReport]], level_label: str) -> Chart:
    shown = _largest(areas)
    names = [name for name, _ in shown]
    series = [
        [a.counts.complete for _, a in shown],
        [a.counts.incomplete for _, a in shown],
        [a.counts.needs_review for _, a in shown],
        [a.counts.not_eligible for _, a in shown],
    ]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.5))
    left = [0] * len(names)
    for values, key, colour in zip(series, STATUS_LABELS, STATUS_COLOURS, strict=True):
        ax.barh(names, values, left=left, color=colour, label=STATUS_LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("Jumlah berkas")
    ax.legend(loc="lower right", fontsize=8)
    title = f"Status berkas per {level_label}"
    ax.set_title(title)
    return _render(fig, title)


def staffing_chart(areas: list[tuple[str, AreaReport]], level_label: str) -> Chart:
    shown = _largest(areas)
    names = [name for name, _ in shown]
    full = [a.staffing.tps_full for _, a in shown]
    short = [a.staffing.tps_short for _, a in shown]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(names) + 1.5))
    ax.barh(names, full, color="#2e7d32", label="TPS terpenuhi (7 calon)")
    ax.barh(names, short, left=full, color="#c62828", label="TPS kurang calon")
    ax.set_xlabel("Jumlah TPS")
    ax.legend(loc="lower right", fontsize=8)
    title = f"Kecukupan calon KPPS per {level_label}"
    ax.set_title(title)
    return _render(fig, title)


def reasons_chart(total: AreaReport) -> Chart:
    c = total.counts
    items = [(f"Kurang: {MISSING_LABELS.get(k, k)}", n) for k, n in c.missing.items()]
    items += [(f"Periksa: {REASON_LABELS.get(k, k)}", n) for k, n in c.review_reasons.items()]
    items += [(f"TMS: {REASON_LABELS.get(k, k)}", n) for k, n in c.not_eligible_reasons.items()]
    items = sorted(items, key=lambda i: -i[1])[:MAX_BARS][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(items) + 1.5))
    ax.barh([label for label, _ in items], [n for _, n in items], color="#1565c0")
    ax.set_xlabel("Jumlah berkas")
    title = "Alasan terbanyak (belum lengkap, perlu diperiksa, tidak memenuhi syarat)"
    ax.set_title(title, fontsize=10)
    return _render(fig, title)
