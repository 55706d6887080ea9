"""End to end in a real browser: Debian's chromium driven by Playwright, against the app served by uvicorn.

GIVEN the seeded store and a PPS account, WHEN the verifier signs in, opens the oldest dossier with a name
mismatch, hovers the misread name, corrects it and approves, THEN the result object holds the corrected
value (re-checked) and the audit trail holds the correction and the approval, in that order.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from review_helpers import latest_decision

from models.contract import CheckStatus, DossierResult
from pipeline.storage import keys
from review import audit
from review.demo import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

# Part of the default run: scripts/setup.sh installs Debian's chromium, so a missing browser is a failure.
pytestmark = [pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app):
    import uvicorn
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:  # uvicorn sets this once the socket listens
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.05)
    yield f"http://localhost:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def sign_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/antrean")


def test_verifier_corrects_a_field_and_approves(server, page, store, db):
    sign_in(page, server, "pps.kebonagung")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert "pps.kebonagung" in page.locator("header").inner_text()

    page.click("a[href='/berkas/KPPS-0001']")
    page.wait_for_url(f"{server}/berkas/KPPS-0001")
    assert page.locator("li.check.review").filter(has_text="Nama tidak sama").count() == 1
    assert page.locator("#kurang-yakin img.crop").evaluate("i => i.naturalWidth") > 0  # the misread name's crop
    img = page.locator("#page-0 img")
    img.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert img.evaluate("i => i.naturalWidth") == 1000  # streamed through the app (CSP forbids eval-based waits)

    # the OCR box of the field under the cursor is drawn on the page image
    row = page.locator("#dok-0 table.fields tr[data-box]").filter(has=page.locator("th", has_text="nama")).first
    box = page.locator("#page-0 .box")
    assert box.is_hidden()
    row.hover()
    assert box.is_visible()
    drawn, shown = box.bounding_box(), img.bounding_box()
    x, y, w, h = (int(v) for v in row.get_attribute("data-box").split(","))
    scale = shown["width"] / 1000  # the KTP drawing is 1000 px wide
    # drawn around the value, a few pixels outside it, never over it
    assert drawn["x"] < shown["x"] + x * scale and drawn["x"] + drawn["width"] > shown["x"] + (x + w) * scale
    assert abs(drawn["width"] - w * scale) < 20

    row.locator("summary").click()
    row.locator("input[name=value]").fill("siti rahayu")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert "Koreksi tersimpan" in page.locator(".flash").inner_text()
    assert "dikoreksi pps.kebonagung" in page.locator("#dok-0").inner_text()
    assert page.locator("li.check").filter(has_text="Nama tidak sama").count() == 0

    page.click("text=Setujui (MS)")  # a confirmation page, never a one-click decision
    page.wait_for_url(f"{server}/berkas/KPPS-0001/setujui")
    for reason in page.locator("textarea[name^=alasan__]").all():  # checks still open after the re-check
        reason.fill("Dilihat pada dokumen asli")
    page.check("input[name=konfirmasi]")
    page.click("button:has-text('Simpan keputusan MS')")
    page.wait_for_selector(".flash.ok >> text=Memenuhi Syarat")
    assert page.url == f"{server}/berkas/KPPS-0002"  # the next dossier of the queue

    result = DossierResult.model_validate(store.get_json(keys.result_key("KPPS-0001")))
    assert result.documents[0].fields["nama"] == "SITI RAHAYU"
    assert next(c for c in result.checks if c.id == "identity_reg_ktp_nama").status == CheckStatus.PASS
    assert [e["action"] for e in audit.trail(store, "KPPS-0001")] == ["correct", "approve"]
    assert latest_decision(db, "KPPS-0001")["decision"] == "MS"

    page.goto(f"{server}/antrean")
    assert page.locator("table.queue tbody tr").count() == 1  # decided: out of the open queue


def test_the_browser_cannot_open_another_area(server, page):
    sign_in(page, server, "pps.kebonagung")
    response = page.goto(f"{server}/berkas/KPPS-0003")
    assert response.status == 403
    assert "di luar wilayah" in page.content()


def test_evidence_click_brings_its_image_into_view(server, page):
    sign_in(page, server, "pps.kebonagung")
    page.goto(f"{server}/berkas/KPPS-0001")
    img = page.locator("#page-0 img")
    line = page.locator("ul.evidence li[data-box]").first
    page.set_viewport_size({"width": 1280, "height": 500})
    page.evaluate("window.scrollTo(0, 0)")
    assert img.evaluate("i => i.getBoundingClientRect().top > window.innerHeight")  # below the fold
    line.click()
    assert img.evaluate("i => { const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }")
    assert page.locator("#page-0 .box").is_visible()


def test_phone_queue_ids_do_not_wrap_and_decision_buttons_are_apart(server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "ppk.purworejo")
    link = page.locator("table.queue td.id a").first
    height = link.evaluate("a => a.getBoundingClientRect().height")
    line = link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight) || 20")
    assert height < 1.6 * line  # one line: "KPPS-0002", not a letter per line
    page.goto(f"{server}/berkas/KPPS-0001")
    ms = page.locator("a:has-text('Setujui (MS)')").bounding_box()
    tms = page.locator("a:has-text('Tolak (TMS)')").bounding_box()
    assert tms["y"] - ms["y"] > 100  # not side by side


def test_keyboard_shortcuts_move_and_open(server, page):
    sign_in(page, server, "ppk.purworejo")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator("table.queue tbody tr.on").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/berkas/KPPS-0001")
    page.goto(f"{server}/antrean")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "cari-nama"
