"""`berkas users ...` (accounts) and `berkas review serve` (the web app). Mounted with `register(app)`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from config.settings import get_settings, require_secrets
from pipeline.errors import SecretUnsafe
from review.accounts import ROLE_LABEL, AccountError, Accounts, Role

console = Console()
users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Akun pemeriksa (PPS, PPK, KPU, admin).")
review_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Aplikasi web antrean pemeriksaan.")


def _db():
    """The review database of these settings, refused with one line when its schema is not current."""
    from review.db import ReviewDBError, open_db
    from review.settings import ReviewSettings

    db = open_db(ReviewSettings().db_url(get_settings()))
    try:
        db.check_current()
    except ReviewDBError as e:
        console.print(str(e), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from e
    return db


def _accounts() -> Accounts:
    from pipeline.regions import Regions

    return Accounts(_db(), Regions.load())


@users_app.command("create")
def create(
    username: str = typer.Argument(..., help="nama pengguna: huruf kecil, angka, . _ -"),
    role: Role = typer.Option(..., "--role", "-r", case_sensitive=False, help="PPS, PPK, KPU_KAB atau ADMIN"),  # noqa: B008
    area: str = typer.Option(None, "--area", "-a", help="kode wilayah: 35.75 (KPU), 35.75.02 (PPK), 35.75.02.1005 (PPS)"),
    nik_access: bool = typer.Option(None, "--lihat-nik/--tanpa-nik", help="boleh melihat NIK utuh (bawaan: ya, kecuali ADMIN)"),
    password: str = typer.Option(..., prompt="Kata sandi", hide_input=True, confirmation_prompt=True,
                                 help="10-128 karakter, bukan yang umum atau berisi nama pengguna (ditanyakan bila tidak diberikan)"),
) -> None:
    """Buat akun baru."""
    try:
        account = _accounts().create(username, password, role, area, nik_access=nik_access)
    except AccountError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    console.print(f"Akun {account.username} ({ROLE_LABEL[account.role]} {account.area or ''}) dibuat.")


@users_app.command("disable")
def disable(username: str) -> None:
    """Nonaktifkan akun (sesi yang sedang berjalan ikut berakhir)."""
    try:
        _accounts().set_disabled(username, True)
    except AccountError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    console.print(f"Akun {username} dinonaktifkan.")


@users_app.command("enable")
def enable(username: str) -> None:
    """Aktifkan kembali akun."""
    try:
        _accounts().set_disabled(username, False)
    except AccountError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    console.print(f"Akun {username} diaktifkan.")


@users_app.command("list")
def list_users() -> None:
    """Daftar akun."""
    t = Table(title="Akun pemeriksa")
    for col in ("nama pengguna", "peran", "wilayah", "NIK utuh", "aktif", "dibuat"):
        t.add_column(col)
    for a in sorted(_accounts().list(), key=lambda a: a.username):
        t.add_row(a.username, ROLE_LABEL[a.role], a.area or "semua", "ya" if a.nik_access else "tidak",
                  "tidak" if a.disabled else "ya", a.created_at)
    console.print(t)


@review_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="alamat yang didengarkan"),
    port: int = typer.Option(8000, help="port"),
    plain_http: bool = typer.Option(False, "--plain-http", "--insecure-cookies",
                                    help="HTTP biasa tanpa HTTPS (hanya jaringan lokal tertutup; "
                                         "sama dengan BERKAS_REVIEW_PLAIN_HTTP=1)"),
    use_queue: bool = typer.Option(None, "--queue/--no-queue",
                                   help="kirim unggahan ke antrean pekerja RQ (bawaan: BERKAS_REVIEW_USE_QUEUE)"),
    demo: bool = typer.Option(False, "--demo", help="berkas dan akun contoh (sintetis) di folder demo sendiri"),
    demo_dir: Path = typer.Option(None, "--demo-dir",  # noqa: B008
                                  help="folder penyimpanan demo (bawaan: var/demo-review); folder berisi data "
                                       "lain ditolak"),
) -> None:
    """Jalankan aplikasi web antrean pemeriksaan."""
    import uvicorn

    from review.app import create_app
    from review.settings import ReviewSettings

    review = ReviewSettings()
    if plain_http:
        review = review.model_copy(update={"plain_http": True})
    if not review.secure_cookies:
        console.print("PERINGATAN: HTTP biasa. Kata sandi, cookie sesi, NIK dan nama calon lewat jaringan tanpa "
                      "enkripsi. Hanya untuk jaringan lokal kantor yang tertutup; pakai HTTPS di tempat lain "
                      "(docs/security.md).", style="bold red", markup=False, highlight=False, soft_wrap=True)
    if use_queue is not None:
        review = review.model_copy(update={"use_queue": use_queue})
    settings = get_settings()
    store = None
    if demo:  # synthetic dossiers and accounts: development mode, in a folder of its own, no queue
        from review.demostore import DEFAULT_DEMO_DIR, DemoStoreRefused, open_demo_store

        folder = demo_dir or DEFAULT_DEMO_DIR
        try:
            store = open_demo_store(folder)
        except DemoStoreRefused as e:
            console.print(str(e), style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from e
        settings = settings.model_copy(update={"dev_mode": True, "store": "local", "store_path": folder})
        review = review.model_copy(update={"use_queue": False})  # the workers serve the real store, not this one
    elif demo_dir is not None:
        console.print("--demo-dir hanya berlaku bersama --demo.", style="red")
        raise typer.Exit(1)
    try:  # the app re-checks dossiers (it writes the NIK index) and signs sessions
        require_secrets(settings, what="aplikasi review",
                        review_secret=review.secret if "secret" in review.model_fields_set else None)
    except SecretUnsafe as e:
        console.print(e.detail, style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from e
    from pipeline.selfcheck import SelfCheckFailed, require
    from review.db import ReviewDB, default_url, open_db

    if demo:  # the demo's own database beside its own folder, whatever BERKAS_REVIEW_DATABASE_URL says
        review = review.model_copy(update={"database_url": default_url("local", settings.store_path)})
        demo_db = ReviewDB(review.db_url(settings))
        demo_db.migrate()
        demo_db.dispose()  # the app opens its own engine (open_db below)
    db_url = review.db_url(settings)
    try:  # the review database must be at the newest migration (`berkas review migrate`)
        require(settings, "review", label="aplikasi review", review_db_url=db_url)
    except SelfCheckFailed as e:
        console.print(e.detail, style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from e
    if store is not None:
        from review.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

        seed_demo(store, db=open_db(db_url))
        console.print(f"Demo di {settings.store_path} (bukan penyimpanan utama). "
                      f"Akun contoh: {', '.join(DEMO_USERS)} (kata sandi: {DEMO_PASSWORD})")
    from workers.metrics import install as count_metrics

    count_metrics()  # this process's re-checks, served on /metrics (review/health.py)
    uvicorn.run(create_app(settings, review, store=store), host=host, port=port, log_level="info",
                proxy_headers=True, server_header=False)


@review_app.command("migrate")
def migrate() -> None:
    """Terapkan migrasi basis data review (akun, sesi, klaim, keputusan) sampai revisi terbaru."""
    from review.db import ReviewDB, ReviewDBError, describe
    from review.settings import ReviewSettings

    url = ReviewSettings().db_url(get_settings())
    db = ReviewDB(url)
    try:
        revision = db.migrate()
    except ReviewDBError as e:
        console.print(str(e), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from e
    finally:
        db.dispose()
    console.print(f"Basis data review {describe(url)}: revisi {revision}.", markup=False, highlight=False)


@review_app.command("reindex")
def reindex(
    area: str = typer.Option(None, "--area", "-a", help="kode kabupaten/kota (35.75) atau kecamatan (35.75.02); "
                                                           "bawaan: semua"),
) -> None:
    """Bangun ulang tabel antrean di basis data review dari objek flags/ (sumber kebenarannya).

    Perlu sekali setelah pindah ke basis data (atau ke basis data baru), dan bila sesuatu menulis flag tanpa
    tanda perubahan (lihat pipeline/queue_index.py)."""
    from pipeline.storage import open_store
    from review.queue_sync import QueueSync

    bits = (area or "").split(".") if area else []
    if bits and len(bits) not in (2, 3):
        console.print("[red]--area: kode kabupaten/kota (2 bagian) atau kecamatan (3 bagian)[/red]")
        raise typer.Exit(1)
    segments = tuple(".".join(bits[:n]) for n in range(2, len(bits) + 1))
    rows = QueueSync(open_store(get_settings()), _db()).rebuild(segments)
    console.print(f"Antrean: {rows} berkas bertanda dimuat ulang dari flags/.")


def register(app: typer.Typer) -> None:
    """Add `users` and `review` to the `berkas` command."""
    app.add_typer(users_app, name="users")
    app.add_typer(review_app, name="review")
