"""CLI commands of the distributed mode: `berkas ingest`, `berkas worker`, `berkas status`.

`berkas/cli.py` mounts them with `register(app)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from config.settings import Settings, get_settings

console = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    """One red line on the console, no traceback, and exit `code`."""
    console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def redis_errors(settings: Settings) -> Iterator[None]:
    """Redis unreachable (or lost mid-command): one line naming where it was looked for, exit 1."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as e:
        fail(f"Redis tidak dapat dihubungi di {settings.redis_url.split('@')[-1]} ({type(e).__name__}); "
             "periksa BERKAS_REDIS_URL dan apakah Redis berjalan")


def ingest_command(
    input_path: Annotated[Path, typer.Argument(exists=True, help="folder (or .zip) with one sub-folder per dossier")],
    no_queue: Annotated[bool, typer.Option("--no-queue", help="only store, do not queue for processing")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="parallel uploads")] = 4,
) -> None:
    """Simpan berkas ke penyimpanan objek dan antrekan untuk diproses (mode terdistribusi)."""
    from pipeline.errors import InputError, StorageError
    from pipeline.selfcheck import SelfCheckFailed, require
    from pipeline.storage import open_store
    from workers.ingest import ingest
    from workers.queues import DOSSIER_QUEUE, connect, get_queue

    settings = get_settings()
    try:  # the store (and Redis when queueing) before anything is uploaded
        require(settings, "ingest-no-queue" if no_queue else "ingest", label="berkas ingest")
    except SelfCheckFailed as e:
        fail(e.detail)
    queue = None
    if not no_queue:
        with redis_errors(settings):  # before anything is uploaded
            connection = connect(settings)
            connection.ping()
            queue = get_queue(DOSSIER_QUEUE, connection)
    try:
        with redis_errors(settings):
            summary = ingest(input_path, open_store(settings), queue, progress=True,
                             limits=settings.limits, concurrency=concurrency)
    except (InputError, StorageError) as e:
        console.print(f"[red]{e.message_id}[/red] ({e.code})")
        raise typer.Exit(1) from e
    c = summary.counts()
    console.print(f"{c['dossiers']} berkas: {c['changed']} baru/berubah, {c['queued']} diantrekan; "
                  f"file: {c['stored']} disimpan, {c['skipped']} sudah ada, {c['rejected']} ditolak")
    if summary.rejected:
        t = Table(title="Ditolak")
        for col in ("berkas", "file", "alasan"):
            t.add_column(col)
        for r in summary.rejected:
            t.add_row(r.dossier_id, r.file or "(seluruh berkas)", r.reason)
        console.print(t)
    print_skipped(console, summary)


def print_skipped(out: Console, summary) -> None:
    """The input entries left out and why (also stored with the batch: batches/<stamp>.json)."""
    if summary.skipped_inputs:
        t = Table(title=f"Dilewati, tidak diproses ({len(summary.skipped_inputs)})")
        for col in ("masukan", "alasan", "keterangan"):
            t.add_column(col)
        for s in summary.skipped_inputs:
            t.add_row(s.path, s.reason, s.message)
        out.print(t)
    if summary.batch_key:
        out.print(f"Catatan batch: {summary.batch_key}")


def worker_command(
    burst: Annotated[bool, typer.Option("--burst", help="stop when the queues are empty")] = False,
    queues: Annotated[str, typer.Option("--queues", "-q", help="comma list of queues, in priority order")] = (
        "dossier,report"
    ),
    simple: Annotated[bool, typer.Option("--simple", help="run jobs in this process (no fork; debugging)")] = False,
) -> None:
    """Jalankan worker yang memproses antrean berkas."""
    from workers.queues import QUEUE_NAMES
    from workers.worker import run_worker

    names = tuple(q.strip() for q in queues.split(",") if q.strip())
    unknown = sorted(set(names) - set(QUEUE_NAMES))
    if not names or unknown:
        console.print(f"[red]Antrean tidak dikenal: {', '.join(unknown) or '(kosong)'}[/red] "
                      f"(pilihan: {', '.join(QUEUE_NAMES)})")
        raise typer.Exit(2)
    from pipeline.errors import ConfigError

    try:
        run_worker(get_settings(), burst=burst, queues=names, simple=simple)
    except ConfigError as e:  # unsafe secrets, a failed self-check, a metrics port in use
        fail(e.detail)


def status_command(failed: Annotated[int, typer.Option("--failed", help="failed jobs to list")] = 10) -> None:
    """Tampilkan isi antrean, worker yang aktif, dan job yang gagal."""
    from workers.queues import connect
    from workers.status import collect_status

    settings = get_settings()
    with redis_errors(settings):
        st = collect_status(connect(settings), failed_limit=failed)
    q = Table(title="Antrean")
    for col in ("antrean", "menunggu", "diserahkan", "berjalan", "dijadwalkan ulang", "gagal", "selesai"):
        q.add_column(col, justify="right" if col != "antrean" else "left")
    for s in st.queues:
        q.add_row(s.name, *(str(v) for v in (s.queued, s.handing_over, s.started, s.scheduled, s.failed,
                                              s.finished)))
    console.print(q)
    w = Table(title=f"Worker ({len(st.workers)})")
    for col in ("nama", "status", "antrean", "job", "detak terakhir"):
        w.add_column(col)
    for info in st.workers:
        age = info.heartbeat_age()
        w.add_row(info.name, info.shown_state if info.responding else f"[red]{info.shown_state}[/red]",
                  ",".join(info.queues), info.current_job or "-", "-" if age is None else f"{age:.0f} s lalu")
    console.print(w)
    gone = [info for info in st.workers if not info.responding]
    if gone:
        console.print(f"{len(gone)} worker tidak merespons (dimatikan paksa atau terputus): RQ melupakannya saat "
                      "kuncinya kedaluwarsa, dan job yang ditinggalkannya diulang atau ditandai gagal "
                      "(docs/distributed.md).")
    if st.failed:
        f = Table(title="Job gagal (terbaru)")
        for col in ("job", "berkas", "galat"):
            f.add_column(col)
        for job in st.failed:
            f.add_row(job.job_id, job.dossier_id or "-", job.error)
        console.print(f)
    print_stale_rules(settings)


def _current_rules(settings: Settings) -> tuple[str, str]:
    """(version, sha256) of the requirements file in force."""
    from config.rules import load_rules
    from pipeline.selfcheck import rules_digest

    return load_rules(settings.rules_file).version, rules_digest(settings.rules_file)


def print_stale_rules(settings: Settings) -> None:
    """How many results were decided under another requirements file than the one in force (rules-index/)."""
    from pipeline.errors import ConfigError, StorageError
    from pipeline.rules_index import stale
    from pipeline.storage import open_store

    try:
        version, digest = _current_rules(settings)
        groups = stale(open_store(settings), digest)
    except (ConfigError, StorageError, OSError) as e:
        console.print(f"[yellow]Versi persyaratan hasil tidak dapat diperiksa[/yellow] ({type(e).__name__})")
        return
    total = sum(len(g.dossier_ids) for g in groups)
    console.print(f"Persyaratan yang berlaku: {version} (sha256 {digest[:12]}); "
                  f"hasil dengan persyaratan lama: {total}")
    for g in groups:
        console.print(f"  {g.version} (sha256 {g.sha256[:12]}): {len(g.dossier_ids)} berkas")
    if total:
        console.print("  Periksa ulang tanpa OCR: berkas requeue --stale-rules")


def requeue_command(
    dossier_id: Annotated[list[str] | None, typer.Argument(help="only these dossiers (default: all failed)")] = None,
    stale_rules: Annotated[bool, typer.Option(
        "--stale-rules", help="re-check the results decided under an older requirements file (no OCR)")] = False,
    reread: Annotated[bool, typer.Option(
        "--reread", help="with --stale-rules: queue them for full processing (OCR again) instead")] = False,
) -> None:
    """Antrekan ulang berkas yang gagal diproses (job di daftar gagal), atau periksa ulang hasil lama."""
    from workers.queues import DOSSIER_QUEUE, connect, get_queue, requeue_failed

    settings = get_settings()
    if reread and not stale_rules:
        fail("--reread hanya bersama --stale-rules", code=2)
    if stale_rules:
        requeue_stale_rules(settings, only=set(dossier_id) if dossier_id else None, reread=reread)
        return
    with redis_errors(settings):
        queue = get_queue(DOSSIER_QUEUE, connect(settings))
        done = requeue_failed(queue, dossier_ids=set(dossier_id) if dossier_id else None)
    console.print(f"{len(done)} berkas diantrekan ulang" + (f": {', '.join(done)}" if done else ""))


def requeue_stale_rules(settings: Settings, *, only: set[str] | None, reread: bool) -> None:
    """Re-check (stored readings, current rules; or, with `reread`, queue for OCR again) every result decided
    under another requirements file than the one in force."""
    from config.settings import require_secrets
    from pipeline.errors import SecretUnsafe
    from pipeline.rules_index import marker_key, stale
    from pipeline.storage import open_store

    try:
        require_secrets(settings, what="berkas requeue --stale-rules")  # a re-check writes the NIK index
    except SecretUnsafe as e:
        fail(e.detail)
    version, digest = _current_rules(settings)
    store = open_store(settings)
    groups = stale(store, digest)
    todo = [(g, d) for g in groups for d in g.dossier_ids if only is None or d in only]
    if not todo:
        console.print(f"Tidak ada hasil dengan persyaratan selain {version} (sha256 {digest[:12]}).")
        return
    if reread:
        from pipeline import manifest
        from workers.queues import DOSSIER_QUEUE, connect, enqueue_dossier, get_queue

        with redis_errors(settings):
            queue = get_queue(DOSSIER_QUEUE, connect(settings))
            queued = sum(enqueue_dossier(queue, d, version=manifest.version_of(manifest.read(store, d))) is not None
                         for _, d in todo)
        console.print(f"{queued} berkas diantrekan untuk dibaca ulang (OCR) dengan persyaratan {version}")
        return
    from pipeline.process import recheck_dossier
    from pipeline.publish import read_result
    from workers.embedded import _engineless

    runtime = _engineless(settings)
    done = 0
    for group, d in todo:
        current, _ = read_result(store, d)
        if current is None or (current.provenance and current.provenance.requirements.sha256 == digest):
            key = marker_key(group.sha256, d)  # gone, or already re-decided (a marker left by a race): tidy up
            if store.exists(key):
                store.delete(key)
            continue
        if recheck_dossier(d, store=store, runtime=runtime, force=True) is not None:
            done += 1
    console.print(f"{done} berkas diperiksa ulang dengan persyaratan {version} (sha256 {digest[:12]}), tanpa OCR")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("worker")(worker_command)
    app.command("status")(status_command)
    app.command("requeue")(requeue_command)
