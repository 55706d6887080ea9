"""A surat sehat read badly is never stated as fact: the TIDAK SEHAT letter of issue 14, from words to checks."""

from __future__ import annotations

import pytest

from config.rules import load_rules
from models.contract import CheckStatus, DocType
from pipeline.checks import run_checks
from pipeline.context import DocumentReading
from pipeline.nlp import Nlp, build_nlp
from pipeline.process import to_document
from pipeline.reading.surat_sehat.fields import extract_surat_sehat
from pipeline.regions import Regions
from tests.unit.ocr_fakes import fake_page

HEAD = ["PUSKESMAS SUKOREJO", "SURAT KETERANGAN SEHAT", "Nomor : 440/123/XI/2023",
        "Yang bertanda tangan di bawah ini menerangkan bahwa", "Nama : SITI AMINAH"]


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return build_nlp()


def checks_of(rows: list, nlp: Nlp, confs: dict[str, float] | None = None) -> dict:
    fields = extract_surat_sehat(fake_page(rows, confs=confs), nlp)
    doc = to_document(DocumentReading(file="sehat.jpg", page=1, sha256="0" * 64, type=DocType.SURAT_SEHAT,
                                      fields=fields))
    checks = run_checks(None, [doc], [], rules=load_rules(), regions=Regions.load())
    return {c.id: c for c in checks}


@pytest.mark.parametrize("line", ["Yang bersangkutan dinyatakan DAK SEHAT.", "Kesimpulan : DAK SEHAT",
                                  "Dalam keadaan IDAK SEHAT"])
def test_tidak_sehat_read_in_part_never_passes(line: str, nlp: Nlp) -> None:
    rows = [*HEAD, "Tekanan darah : 157/111 mmHg", "Gula darah : 98 mg/dL", "Kolesterol : 240 mg/dL", line]
    c = checks_of(rows, nlp)["health_conclusion"]
    assert c.status != CheckStatus.PASS
    assert "SEHAT" in c.message and ("TIDAK SEHAT" in c.message or "kurang yakin" in c.message)


def test_the_issue_letter_low_sehat_and_unread_vitals(nlp: Nlp) -> None:
    """GIVEN "Kesimpulan: TIDAK SEHAT" whose TIDAK was lost and whose SEHAT reads at 41%, blood pressure and
    cholesterol printed but their rows garbled beyond their labels WHEN read and checked THEN the conclusion
    is doubted and the vitals are "tidak terbaca", not "tidak memuat"."""
    rows = [*HEAD, "Tkn drh : 1S7/1l1", "Gula darah : 98 mg/dL", "Koestrl : 24O", "Kesimpulan : SEHAT"]
    checks = checks_of(rows, nlp, confs={"SEHAT": 0.41})
    c = checks["health_conclusion"]
    assert c.status == CheckStatus.REVIEW and "kurang yakin" in c.message
    v = checks["health_vitals"]
    assert v.status == CheckStatus.REVIEW and v.reason == "VITALS_UNREADABLE"
    assert "tidak terbaca" in v.message and "tidak memuat" not in v.message


def test_a_clear_sehat_letter_still_passes(nlp: Nlp) -> None:
    rows = [*HEAD, "Tekanan darah : 120/80 mmHg", "Gula darah : 98 mg/dL", "Kolesterol : 174 mg/dL",
            "Yang bersangkutan dinyatakan SEHAT."]
    checks = checks_of(rows, nlp)
    assert checks["health_conclusion"].status == CheckStatus.PASS
    assert checks["health_vitals"].status == CheckStatus.PASS
