"""The `berkas` command line."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from config.settings import get_settings
from models.contract import DossierResult
from pipeline import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Berkas: verifikasi berkas calon KPPS.")
console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console,
    )


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log progress to stderr")) -> None:
    from pipeline.logs import configure_logging

    configure_logging(level=logging.INFO if verbose else logging.WARNING, fmt=get_settings().log_format)


@app.command()
def version() -> None:
    """Print the pipeline version."""
    console.print(__version__)


@app.command()
def run(
    input_path: Path = typer.Argument(..., exists=True, help="folder (or .zip) with one sub-folder per dossier"),
    out: Path = typer.Option(Path("var/out"), "--out", "-o", help="where result.json files are written"),
    workers: int = typer.Option(0, "--workers", "-w", help="processes (default: BERKAS_WORKERS or 2)"),
) -> None:
    """Process a batch on this machine (embedded mode: local store under OUT/store, no servers needed)."""
    from config.settings import require_secrets
    from pipeline.errors import InputError, SecretUnsafe, StorageError
    from pipeline.logs import redact
    from pipeline.storage import open_store
    from pipeline.storage.local import make_private_dirs
    from workers.commands import fail, print_skipped
    from workers.embedded import process_batch
    from workers.ingest import ingest

    base = get_settings()
    settings = base if base.store == "s3" else base.model_copy(update={"store_path": out / "store"})
    try:
        require_secrets(settings, what="berkas run")  # it writes the NIK index
    except SecretUnsafe as e:
        fail(e.detail)
    self_check_or_exit(settings, "run", label="berkas run")  # before anything is ingested or read
    store = open_store(settings)
    try:
        summary = ingest(input_path, store, queue=None, progress=True)
    except (InputError, StorageError) as e:  # an input that cannot be walked at all (unsafe zip), a dead store
        fail(f"{e.message_id} ({e.code}): {redact(e.detail)}")
    print_skipped(console, summary)
    ids = sorted(summary.dossier_ids)
    if not ids:
        console.print("[red]Tidak ada berkas untuk diproses.[/red]")
        raise typer.Exit(1)

    with _progress() as progress:
        task = progress.add_task("memproses berkas", total=len(ids), rate="")
        done = 0

        def tick(_: str) -> None:
            nonlocal done
            done += 1
            elapsed = progress.tasks[task].elapsed or 1e-9
            progress.update(task, advance=1, rate=f"{done / elapsed * 60:.1f} berkas/menit")

        outcome = process_batch(ids, settings, processes=workers or settings.workers, on_done=tick)

    for dossier_id, result in outcome.results.items():  # NIKs and names: readable by this user only
        folder = out / dossier_id
        make_private_dirs(folder)
        _write_private(folder / "result.json", result.model_dump_json(indent=2) + "\n")
    print_summary(list(outcome.results.values()), outcome.crashed)
    rate = len(outcome.results) / outcome.seconds * 60 if outcome.seconds else 0.0
    console.print(f"{len(outcome.results)} berkas dalam {outcome.seconds:.1f} s ({rate:.1f} berkas/menit, "
                  f"{settings.workers if not workers else workers} proses)")
    console.print(f"Hasil: {out}/<dossier_id>/result.json")
    store_hint = settings.store_path / "objects" if settings.store == "local" else f"s3://{settings.s3_bucket}"
    console.print(f"Penyimpanan: {store_hint} (results/, flags/ = antrean pemeriksaan, originals/)")
    if outcome.crashed:
        raise typer.Exit(2)


def self_check_or_exit(settings, what: str, *, label: str, **kw) -> None:
    """The start-up self-check of entry point `what` (pipeline/selfcheck.py): on a missing piece, its lines in
    red and exit 1, before the command takes any work."""
    from pipeline.selfcheck import SelfCheckFailed, require
    from workers.commands import fail

    try:
        require(settings, what, label=label, **kw)
    except SelfCheckFailed as e:
        fail(e.detail)


@app.command()
def doctor(
    only: str = typer.Option(None, "--only", help="comma list of items (default: all): "
                             "tesseract,nik_templates,neural_models,rules,data,store,redis,secrets,review_db"),
) -> None:
    """Check everything Berkas needs on this machine: exit 0 when all is there, 1 otherwise."""
    from pipeline.selfcheck import CHECKS, run_checks

    names = tuple(n.strip() for n in only.split(",") if n.strip()) if only else tuple(CHECKS)
    unknown = sorted(set(names) - set(CHECKS))
    if unknown:
        console.print(f"[red]Tidak dikenal: {', '.join(unknown)}[/red] (pilihan: {', '.join(CHECKS)})")
        raise typer.Exit(2)
    items = run_checks(get_settings(), names)
    t = Table(title="berkas doctor")
    for col in ("komponen", "keadaan", "keterangan"):
        t.add_column(col, overflow="fold")
    for i in items:
        state = "[yellow]dilewati[/yellow]" if i.skipped else ("[green]ok[/green]" if i.ok else "[red]TIDAK SIAP[/red]")
        t.add_row(i.name, state, i.detail)
    console.print(t)
    bad = [i.name for i in items if not i.ok]
    if bad:
        console.print(f"[red]{len(bad)} komponen bermasalah:[/red] {', '.join(bad)}")
        raise typer.Exit(1)
    console.print("[green]Semua komponen siap.[/green]")


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file of mode 0600 (also when the file was there before with a wider mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(text)


def print_summary(results: list[DossierResult], crashed: dict[str, str] | None = None) -> None:
    by_status = Counter(r.status.value for r in results)
    by_reason = Counter(
        reason for r in results for reason in {c.reason for c in r.checks if c.reason and c.status.value != "pass"}
    )
    t = Table(title="Status berkas")
    t.add_column("status")
    t.add_column("jumlah", justify="right")
    for status in ("complete", "incomplete", "not_eligible", "needs_review"):
        t.add_row(status, str(by_status.get(status, 0)))
    console.print(t)
    r = Table(title="Alasan ditandai untuk diperiksa")
    r.add_column("alasan")
    r.add_column("berkas", justify="right")
    for reason, n in by_reason.most_common():
        r.add_row(reason, str(n))
    console.print(r)
    for dossier_id, err in (crashed or {}).items():
        console.print(f"[red]GAGAL[/red] {dossier_id}: {err}")


@app.command()
def schema(out: Path = typer.Option(None, help="write the result JSON Schema here instead of stdout")) -> None:
    """Print the JSON Schema of result.json."""
    text = json.dumps(DossierResult.model_json_schema(), indent=2, ensure_ascii=False)
    if out:
        out.write_text(text + "\n")
    else:
        console.print_json(text)


@app.command()
def report(
    date: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: yesterday in WIB, as the nightly run)"),
    area: str = typer.Option(None, "--area", help="region code, e.g. 35.75 or 35.75.02 (default: the province)"),
    tps_csv: Path = typer.Option(
        None, "--tps-csv", help="KPU's TPS list (kode_desa,tps; docs/reports.md); default config/tps/tps.csv"
    ),
    tps_source: str = typer.Option(None, "--tps-source", help="where the TPS list came from (else its .meta.yaml)"),
    tps_date: str = typer.Option(None, "--tps-date", help="date of the TPS list, YYYY-MM-DD (else its .meta.yaml)"),
    store_path: Path = typer.Option(None, "--store", help="local store folder (default: BERKAS_STORE_PATH)"),
) -> None:
    """Build the completeness report (CSV per level, HTML, PDF) into the store under reports/<date>/."""
    from pipeline.errors import ConfigError
    from pipeline.reports.build import build_report
    from pipeline.storage import open_store
    from workers.report_jobs import default_tps_list, report_day, rules_version

    settings = get_settings()
    if store_path is not None:
        settings = settings.model_copy(update={"store": "local", "store_path": store_path})
    self_check_or_exit(settings, "report", label="berkas report")
    store = open_store(settings)
    tps_list = tps_csv or default_tps_list(settings)
    try:
        paths = build_report(store, date=date or report_day(), area=area, tps_csv=tps_list, tps_source=tps_source,
                             tps_date=tps_date, rules_version=rules_version(settings))
    except ConfigError as e:
        console.print(f"[red]Laporan tidak dibuat[/red] ({e.code}): {e.detail}")
        raise typer.Exit(2) from e
    console.print(f"Laporan: {paths.prefix} ({paths.rows_read} berkas dibaca, {paths.rows_skipped} tidak terbaca)")
    if tps_list is None:
        console.print("  [yellow]Tanpa daftar TPS[/yellow]: TPS tanpa pendaftar tidak dapat ditampilkan (--tps-csv).")
    console.print(f"  HTML: {paths.html}")
    console.print(f"  PDF:  {paths.pdf}")
    if paths.changes_csv:
        console.print(f"  Perubahan sejak {paths.baseline}: {paths.changes_csv}")


def _register_extensions() -> None:
    """Commands that live beside their own package (workers, review)."""
    from review.commands import register as register_review
    from workers.commands import register as register_workers

    register_workers(app)
    register_review(app)


_register_extensions()


if __name__ == "__main__":
    app()
