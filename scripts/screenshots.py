"""Screenshots of the review app (queue and dossier page) over synthetic demo data.

    .venv/bin/python -m scripts.screenshots [--out var/screenshots]

Seeds a throw-away local store with review.demo's made-up dossiers, serves the app on a free loopback port,
drives Debian's chromium with Playwright (no browser download) and writes PNGs:
queue.png and queue-phone.png, dossier.png (the misread name hovered: its OCR box drawn around it) and
dossier-phone.png, confirm-ms.png (the MS confirmation over a doubtful check); then the nightly
report's pages (scripts/report_screenshots.py: report-*.png).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from config.settings import Settings
from pipeline.storage.local import LocalStore
from review.app import create_app
from review.db import ReviewDB
from review.demo import DEMO_PASSWORD, seed_demo
from review.service import ReviewService
from review.settings import ReviewSettings

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def take(out: Path, username: str = "ppk.purworejo") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="berkas-shots-") as tmp:
        store = LocalStore(Path(tmp) / "store", fsync=False)
        db = ReviewDB(f"sqlite:///{tmp}/review.sqlite3")
        db.migrate()
        seed_demo(store, db=db)
        settings = Settings(store_path=Path(tmp) / "store")
        review = ReviewSettings()
        app = create_app(settings, review, store=store,
                         service=ReviewService(store, settings, review, db=db))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            thread.join(0.05)
        base = f"http://localhost:{port}"
        written = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
                for name, viewport in (("", {"width": 1280, "height": 900}), ("-phone", {"width": 390, "height": 844})):
                    page = browser.new_context(viewport=viewport, locale="id-ID").new_page()
                    page.goto(f"{base}/masuk")
                    page.fill("input[name=username]", username)
                    page.fill("input[name=password]", DEMO_PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(f"{base}/antrean")
                    page.screenshot(path=str(out / f"queue{name}.png"), full_page=True)
                    written.append(out / f"queue{name}.png")
                    page.goto(f"{base}/berkas/KPPS-0001")
                    images = page.locator("figure.page img")
                    for i in range(images.count()):  # lazy images: bring each into view, then let them load
                        images.nth(i).scroll_into_view_if_needed()
                    page.wait_for_load_state("networkidle")
                    row = page.locator("#dok-0 tr[data-box]").filter(has=page.locator("th", has_text="nama")).first
                    row.hover()
                    path = out / f"dossier{name}.png"
                    page.screenshot(path=str(path), full_page=True)
                    written.append(path)
                    if not name:  # the MS confirmation: every overridden check with its evidence and a reason box
                        page.goto(f"{base}/berkas/KPPS-0001/setujui")
                        page.wait_for_load_state("networkidle")
                        page.screenshot(path=str(out / "confirm-ms.png"), full_page=True)
                        written.append(out / "confirm-ms.png")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("var/screenshots"))
    parser.add_argument("--user", default="ppk.purworejo", help="demo account to sign in with")
    args = parser.parse_args()
    for path in take(args.out, args.user):
        print(path)
    from scripts.report_screenshots import take as take_report  # the nightly report's pages, as printed

    for path in take_report(args.out):
        print(path)


if __name__ == "__main__":
    main()
