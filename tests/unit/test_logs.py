"""pipeline/logs.py: JSON lines with context fields, personal data masked in messages and tracebacks."""

from __future__ import annotations

import io
import json
import logging

import pytest

from pipeline.logs import MASK, configure_logging, log_context, personal_values

NIK, NAMA, BORN = "3575024506990001", "Siti Aminah", "1999-06-05"


@pytest.fixture
def capture():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buf = io.StringIO()

    def use(fmt: str) -> io.StringIO:
        configure_logging(level=logging.DEBUG, fmt=fmt, stream=buf)
        return buf

    yield use
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])


@pytest.mark.parametrize("spelling", [
    NIK, "3575 0245 0699 0001", "3575-0245-0699-0001", "Siti Aminah", "SITI AMINAH", "siti_aminah", "Aminah, Siti",
    "KTP_SITI_AMINAH.jpg", "1999-06-05", "05-06-1999", "05/06/1999", "5/6/1999", "05.06.99", "05061999",
    "19990605", "5 Juni 1999", "05 JUNI 1999", "5 Jun 1999", "June 5, 1999",
])
def test_personal_values_are_masked_in_every_common_spelling(capture, spelling):
    buf = capture("json")
    with personal_values(nik=NIK, nama=NAMA, tanggal_lahir=BORN):
        logging.getLogger("pipeline.x").info("file %s read", spelling)
    record = json.loads(buf.getvalue())
    assert MASK in record["msg"]
    for part in ("3575", "0245", "aminah", "1999", "juni", "june"):
        assert part not in record["msg"].lower()


def test_other_text_is_left_alone(capture):
    buf = capture("json")
    with personal_values(nik=NIK, nama=NAMA, tanggal_lahir=BORN):
        logging.getLogger("pipeline.x").info("Sitinah 2026-11-27 page 3 of KPPS-0001, 1999 items")
    assert json.loads(buf.getvalue())["msg"] == "Sitinah 2026-11-27 page 3 of KPPS-0001, 1999 items"


def test_a_nik_shape_is_masked_even_without_a_registration(capture):
    buf = capture("text")
    logging.getLogger("pipeline.x").warning("nik %s", "3201014101010001")
    assert "3201014101010001" not in buf.getvalue() and MASK in buf.getvalue()


def test_json_lines_carry_the_context_and_a_masked_traceback(capture):
    buf = capture("json")
    log = logging.getLogger("workers.x")
    with log_context(worker="w1", job_id="dossier-D-1-v1", dossier_id="D-1"), personal_values(nama=NAMA):
        log.info("start")
        try:
            raise ValueError(f"bad name {NAMA}")
        except ValueError:
            log.exception("failed")
    log.info("after")
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [r["msg"] for r in lines] == ["start", "failed", "after"]
    assert all(r["worker"] == "w1" and r["job_id"] == "dossier-D-1-v1" and r["dossier_id"] == "D-1" for r in lines[:2])
    assert "dossier_id" not in lines[2]
    assert "ValueError" in lines[1]["exc"] and "Aminah" not in lines[1]["exc"] and MASK in lines[1]["exc"]


def test_text_format_appends_the_context(capture):
    buf = capture("text")
    with log_context(dossier_id="D-2", job_id="j"):
        logging.getLogger("pipeline.x").warning("hello %s", "there")
    assert buf.getvalue().rstrip().endswith("pipeline.x hello there [job_id=j dossier_id=D-2]")
