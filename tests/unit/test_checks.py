from datetime import date
from pathlib import Path

import pytest
import yaml

from config.rules import CHECK_IDS, DEFAULT_RULES, load_rules
from models.contract import CheckStatus, DocType, DocumentResult, DossierStatus, FileError, Registration
from pipeline.checks import dossier_niks_of, run_checks
from pipeline.checks.base import age_on
from pipeline.checks.health import months_before
from pipeline.decide import decide
from pipeline.errors import ConfigError
from pipeline.regions import Regions

RULES = load_rules()
REGIONS = Regions.load()
NIK = "3575024506990001"  # made up: Kota Pasuruan, Purworejo, woman born 05-06-1999

SHARED_REASONS = {
    "KTP_MISSING", "IJAZAH_MISSING", "SURAT_SEHAT_MISSING", "FILE_UNREADABLE", "REGISTRATION_INVALID",
    "UNDER_AGE", "OVER_55", "EDUCATION_TOO_LOW", "NOT_HEALTHY", "VITALS_MISSING", "HEALTH_LETTER_STALE",
    "ISSUER_UNKNOWN", "OUT_OF_AREA", "NAME_MISMATCH", "NIK_MISMATCH", "DOB_MISMATCH", "NIK_INVALID",
    "NIK_INCONSISTENT", "NOT_WNI", "DUPLICATE_NIK", "LOW_CONFIDENCE", "FIELD_UNREADABLE",
}
# Codes beyond the shared table (documented in docs/rules.md), all with outcome needs_review.
EXTRA_REASONS = {"HEALTH_LETTER_AFTER_REFERENCE", "VITALS_OUT_OF_RANGE", "DOCUMENT_UNREADABLE", "ORIGINAL_DAMAGED",
                 "FILE_DAMAGED", "CONCLUSION_DOUBTFUL", "VITALS_UNREADABLE"}


def registration(**over) -> Registration:
    data = {
        "dossier_id": "D-001", "nama": "SITI AMINAH", "nik": NIK, "tanggal_lahir": "1999-06-05",
        "wilayah": {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
                    "desa_kelurahan": "KEBONAGUNG", "tps": "003"},
    }
    data.update(over)
    return Registration.model_validate(data)


def doc(doc_type: DocType, fields: dict, conf: dict | None = None, file: str = "scan.jpg") -> DocumentResult:
    confidence = {k: 0.95 for k, v in fields.items() if v is not None}
    confidence.update(conf or {})
    boxes = {k: [10, 20, 100, 12] for k in fields}
    return DocumentResult(file=file, page=1, type=doc_type, fields=fields, confidence=confidence, boxes=boxes)


def ktp(**over) -> DocumentResult:
    conf = over.pop("conf", None)
    fields = {
        "nik": NIK, "nama": "SITI AMINAH", "tanggal_lahir": "1999-06-05", "jenis_kelamin": "PEREMPUAN",
        "kel_desa": "KEBONAGUNG", "kecamatan": "PURWOREJO", "kabupaten_kota": "KOTA PASURUAN",
        "provinsi": "JAWA TIMUR", "kewarganegaraan": "WNI", "berlaku_hingga": "SEUMUR HIDUP",
    }
    fields.update(over)
    return doc(DocType.KTP, fields, conf, "ktp.jpg")


def ijazah(**over) -> DocumentResult:
    conf = over.pop("conf", None)
    fields = {"nama": "SITI AMINAH", "tanggal_lahir": "1999-06-05", "jenjang": "SMA", "nama_sekolah": "SMA NEGERI 1"}
    fields.update(over)
    return doc(DocType.IJAZAH, fields, conf, "ijazah.pdf")


def sehat(**over) -> DocumentResult:
    conf = over.pop("conf", None)
    fields = {
        "nama": "SITI AMINAH", "tanggal_surat": "2023-12-01", "penerbit": "UPT PUSKESMAS PURWOREJO",
        "kesimpulan": "SEHAT", "tekanan_darah": "120/80 mmHg", "gula_darah": "95 mg/dL", "kolesterol": "180 mg/dL",
    }
    fields.update(over)
    return doc(DocType.SURAT_SEHAT, fields, conf, "sehat.jpg")


def run(reg=None, docs=None, errors=(), duplicates=None, rules=RULES, *, default_reg=True):
    reg = registration() if reg is None and default_reg else reg
    docs = [ktp(), ijazah(), sehat()] if docs is None else docs
    checks = run_checks(reg, docs, list(errors), rules=rules, regions=REGIONS, duplicates=duplicates)
    return {c.id: c for c in checks}, decide(checks, rules)


def failing(checks) -> dict[str, str | None]:
    return {cid: c.reason for cid, c in checks.items() if c.status != CheckStatus.PASS}


# ---- the whole dossier ---------------------------------------------------------------------------


def test_complete_dossier_passes_every_check():
    checks, (status, missing) = run(duplicates={})
    assert failing(checks) == {}
    assert status == DossierStatus.COMPLETE and missing == []
    assert set(checks) == set(CHECK_IDS)  # every check ran
    assert all(c.message and c.message_en for c in checks.values())


def test_every_reason_is_in_the_shared_vocabulary():
    cases = [
        run(docs=[]),
        run(reg=None, default_reg=False),
        run(docs=[ktp(tanggal_lahir="2010-01-01", kewarganegaraan="WNA", nik="3575020101100001", conf={"nama": 0.1}),
                  ijazah(jenjang="SMP", nama="BUDI"), sehat(kesimpulan="TIDAK SEHAT", penerbit="APOTEK SEHAT",
                                                            tanggal_surat="2023-01-01", kolesterol=None)],
            errors=[FileError(file="x.jpg", error="FILE_TRUNCATED")], duplicates={NIK: ["D-9"]}),
    ]
    reasons = {c.reason for checks, _ in cases for c in checks.values() if c.status != CheckStatus.PASS}
    assert reasons <= SHARED_REASONS | EXTRA_REASONS
    generic = {"LOW_CONFIDENCE", "FIELD_UNREADABLE"} | EXTRA_REASONS
    for checks, _ in cases:
        for c in checks.values():
            if c.status == CheckStatus.FAIL and c.reason not in generic:
                assert c.reason == RULES.checks[c.id].reason, c.id
    assert {"UNDER_AGE", "NOT_WNI", "EDUCATION_TOO_LOW", "NOT_HEALTHY", "ISSUER_UNKNOWN"} <= reasons


# ---- documents, files, registration --------------------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "check_id", "reason"),
    [
        (DocType.KTP, "doc_ktp", "KTP_MISSING"),
        (DocType.IJAZAH, "doc_ijazah", "IJAZAH_MISSING"),
        (DocType.SURAT_SEHAT, "doc_surat_sehat", "SURAT_SEHAT_MISSING"),
    ],
)
def test_missing_document_is_incomplete(drop, check_id, reason):
    docs = [d for d in (ktp(), ijazah(), sehat()) if d.type != drop]
    checks, (status, missing) = run(docs=docs)
    assert checks[check_id].reason == reason
    assert status == DossierStatus.INCOMPLETE and missing == [drop]


def test_missing_document_with_an_unreadable_page_is_reviewed_not_incomplete():
    """GIVEN no KTP found, but an unrecognised page that looks like a document (e.g. a blurred photo)
    THEN doc_ktp is in review naming that page, the dossier needs review and nothing is reported missing."""
    blurred = DocumentResult(file="IMG_1.jpg", page=1, type=DocType.UNKNOWN, unreadable=True)
    checks, (status, missing) = run(docs=[blurred, ijazah(), sehat()])
    c = checks["doc_ktp"]
    assert (c.status, c.reason) == (CheckStatus.REVIEW, "DOCUMENT_UNREADABLE")
    assert "IMG_1.jpg hal. 1" in c.message and "KTP" in c.message
    assert [e.file for e in c.evidence] == ["IMG_1.jpg"]
    assert status == DossierStatus.NEEDS_REVIEW and missing == []


def test_more_documents_missing_than_unreadable_pages_is_incomplete():
    """One unreadable page can be at most one of two documents not found: the dossier is surely incomplete."""
    blurred = DocumentResult(file="IMG_1.jpg", page=1, type=DocType.UNKNOWN, unreadable=True)
    checks, (status, missing) = run(docs=[blurred, ktp()])
    assert checks["doc_ijazah"].reason == "IJAZAH_MISSING"
    assert checks["doc_surat_sehat"].reason == "SURAT_SEHAT_MISSING"
    assert status == DossierStatus.INCOMPLETE and missing == [DocType.IJAZAH, DocType.SURAT_SEHAT]
    two = [blurred, blurred.model_copy(update={"page": 2})]
    checks, (status, missing) = run(docs=[*two, ktp()])
    assert {checks[c].reason for c in ("doc_ijazah", "doc_surat_sehat")} == {"DOCUMENT_UNREADABLE"}
    assert status == DossierStatus.NEEDS_REVIEW and missing == []


def test_a_legible_page_of_another_kind_does_not_excuse_a_missing_document():
    """An unrecognised page that was read well (a signed statement, a photo) leaves the KTP missing."""
    other = DocumentResult(file="pernyataan.pdf", page=1, type=DocType.UNKNOWN, unreadable=False)
    checks, (status, missing) = run(docs=[other, ijazah(), sehat()])
    assert checks["doc_ktp"].reason == "KTP_MISSING"
    assert status == DossierStatus.INCOMPLETE and missing == [DocType.KTP]


def test_checks_needing_a_missing_ktp_are_not_run():
    checks, _ = run(docs=[ijazah(), sehat()])
    assert not {"age_min", "nik_valid", "domicile", "identity_reg_ktp_nama"} & set(checks)


def test_unreadable_file_means_review_and_names_the_file():
    checks, (status, _) = run(errors=[FileError(file="scan9.jpg", error="FILE_TRUNCATED")])
    c = checks["files_readable"]
    assert (c.status, c.reason) == (CheckStatus.REVIEW, "FILE_UNREADABLE")
    assert "scan9.jpg" in c.message
    assert status == DossierStatus.NEEDS_REVIEW


def test_a_damaged_file_read_in_part_is_reviewed_with_what_was_recovered():
    note = "File PDF rusak (tabel rujukan silang (xref) rusak dan dibangun ulang); yang dapat dipulihkan: 1 dari 1"
    checks, (status, _) = run(errors=[FileError(file="ijazah.pdf", error="FILE_DAMAGED", message=note)])
    c = checks["files_readable"]
    assert (c.status, c.reason) == (CheckStatus.REVIEW, "FILE_DAMAGED")
    assert "ijazah.pdf" in c.message and "sebagian isinya terbaca" in c.message
    assert c.evidence[0].note == note
    assert status == DossierStatus.NEEDS_REVIEW


def test_a_damaged_stored_copy_reviews_the_document_not_found():
    checks, (status, missing) = run(docs=[ijazah(), sehat()],
                                    errors=[FileError(file="k.jpg", error="CHECKSUM_MISMATCH")])
    assert (checks["doc_ktp"].status, checks["doc_ktp"].reason) == (CheckStatus.REVIEW, "ORIGINAL_DAMAGED")
    assert "k.jpg" in checks["doc_ktp"].message
    assert status == DossierStatus.NEEDS_REVIEW and missing == []


def test_bad_ktp_file_is_incomplete_with_both_reasons():
    checks, (status, missing) = run(docs=[ijazah(), sehat()], errors=[FileError(file="k.jpg", error="FILE_CORRUPT")])
    assert failing(checks) == {"doc_ktp": "KTP_MISSING", "files_readable": "FILE_UNREADABLE"}
    assert status == DossierStatus.INCOMPLETE


def test_missing_registration_is_incomplete():
    checks, (status, _) = run(reg=None, default_reg=False)
    assert checks["registration"].reason == "REGISTRATION_INVALID"
    assert "identity_reg_ktp_nama" not in checks and "domicile" not in checks
    assert status == DossierStatus.INCOMPLETE


def test_most_confident_page_is_used_and_unknown_ignored():
    blurred = ktp(nama="S1T1 AM1NAH", conf={k: 0.3 for k in ("nama", "nik", "tanggal_lahir")})
    unknown = DocumentResult(file="x.jpg", page=1, type=DocType.UNKNOWN, fields={"nama": "X"})
    checks, (status, _) = run(docs=[blurred, unknown, ktp(), ijazah(), sehat()], duplicates={})
    assert status == DossierStatus.COMPLETE
    assert checks["identity_reg_ktp_nama"].evidence[1].confidence == 0.95


# ---- age ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "min_ok", "max_ok", "age"),
    [
        ("2007-02-14", True, True, 17),  # exactly 17 on voting day
        ("2007-02-15", False, True, 16),  # one day short
        ("1969-02-14", True, True, 55),  # exactly 55
        ("1968-02-15", True, True, 55),  # the day before turning 56
        ("1968-02-14", True, False, 56),
    ],
)
def test_age_edges(born, min_ok, max_ok, age):
    checks, _ = run(reg=registration(tanggal_lahir=born), docs=[ktp(tanggal_lahir=born), ijazah(tanggal_lahir=born), sehat()])
    assert (checks["age_min"].status == CheckStatus.PASS) is min_ok
    assert (checks["age_max"].status == CheckStatus.PASS) is max_ok
    assert f"{age} tahun" in checks["age_min"].message


def test_under_age_message_and_status():
    born = "2008-01-01"
    checks, (status, _) = run(docs=[ktp(tanggal_lahir=born), ijazah(tanggal_lahir=born), sehat()],
                              reg=registration(tanggal_lahir=born))
    c = checks["age_min"]
    assert (c.status, c.reason) == (CheckStatus.FAIL, "UNDER_AGE")
    assert c.message == "Umur pada hari pemungutan suara 16 tahun; syarat minimal 17 tahun."
    assert status == DossierStatus.NOT_ELIGIBLE


def test_over_55_is_only_review():
    born = "1960-03-01"
    checks, (status, _) = run(docs=[ktp(tanggal_lahir=born), ijazah(tanggal_lahir=born), sehat()],
                              reg=registration(tanggal_lahir=born), duplicates={})
    assert failing(checks) == {"age_max": "OVER_55", "nik_consistent": "NIK_INCONSISTENT"}
    assert status == DossierStatus.NEEDS_REVIEW


def test_29_february_birthdays():
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 16
    assert age_on(date(2008, 2, 29), date(2025, 3, 1)) == 17
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16
    assert age_on(date(2000, 2, 29), date(2024, 2, 14)) == 23


# ---- low confidence and missing fields ----------------------------------------------------------


def test_low_confidence_is_review_never_pass():
    """GIVEN a birth date read with low confidence that no other source confirms THEN the age checks say review."""
    reg = registration(tanggal_lahir=None)
    checks, (status, _) = run(reg=reg, docs=[ktp(conf={"tanggal_lahir": 0.3}), ijazah(tanggal_lahir="1999-06-15"), sehat()])
    for cid in ("age_min", "age_max"):
        assert (checks[cid].status, checks[cid].reason) == (CheckStatus.REVIEW, "LOW_CONFIDENCE")
        assert checks[cid].evidence[0].field == "tanggal_lahir"
        assert checks[cid].evidence[0].box == [10, 20, 100, 12]
    assert status == DossierStatus.NEEDS_REVIEW


def test_low_confidence_confirmed_by_another_source_counts():
    """GIVEN a KTP NIK read with confidence 0.45 that equals the registered NIK digit for digit THEN pass."""
    checks, _ = run(docs=[ktp(conf={"nik": 0.45}), ijazah(), sehat()], duplicates={})
    for cid in ("nik_valid", "nik_consistent", "identity_reg_ktp_nik"):
        assert checks[cid].status == CheckStatus.PASS, cid
    # an uncertain NIK that differs stays uncertain: review, not a mismatch
    checks, _ = run(reg=registration(nik="3575024506990002"), docs=[ktp(conf={"nik": 0.45}), ijazah(), sehat()])
    assert (checks["identity_reg_ktp_nik"].status, checks["identity_reg_ktp_nik"].reason) == (
        CheckStatus.REVIEW, "LOW_CONFIDENCE")
    # switched off in the rules file: review again
    strict = RULES.model_copy(update={"confidence": RULES.confidence.model_copy(update={"corroborate": False})})
    checks, _ = run(docs=[ktp(conf={"nik": 0.45}), ijazah(), sehat()], rules=strict)
    assert checks["identity_reg_ktp_nik"].reason == "LOW_CONFIDENCE"


def test_low_confidence_dates_agreeing_across_documents():
    checks, _ = run(docs=[ktp(), ijazah(conf={"tanggal_lahir": 0.35}), sehat()])
    assert checks["identity_ktp_ijazah_dob"].status == CheckStatus.PASS
    checks, _ = run(docs=[ktp(), ijazah(tanggal_lahir="1999-06-08", conf={"tanggal_lahir": 0.35}), sehat()])
    assert checks["identity_ktp_ijazah_dob"].reason == "LOW_CONFIDENCE"


def test_missing_field_is_field_unreadable():
    checks, _ = run(docs=[ktp(kewarganegaraan=None), ijazah(jenjang=None, nama_sekolah=None), sehat(kesimpulan=None)])
    for cid in ("citizenship", "education", "health_conclusion"):
        assert (checks[cid].status, checks[cid].reason) == (CheckStatus.REVIEW, "FIELD_UNREADABLE"), cid


def test_expiry_date_in_the_past_is_not_a_failure():
    checks, (status, _) = run(docs=[ktp(berlaku_hingga="2017-06-05"), ijazah(), sehat()], duplicates={})
    assert status == DossierStatus.COMPLETE


# ---- NIK --------------------------------------------------------------------------------------------


def test_women_nik_day_plus_40_is_consistent_and_sex_mismatch_is_not():
    checks, _ = run()
    assert checks["nik_consistent"].status == CheckStatus.PASS
    checks, _ = run(docs=[ktp(jenis_kelamin="LAKI-LAKI"), ijazah(), sehat()])
    assert checks["nik_consistent"].reason == "NIK_INCONSISTENT"
    assert "jenis kelamin" in checks["nik_consistent"].message


@pytest.mark.parametrize("bad", ["3599024506990001", "3575027206990001", "357502450699001"])
def test_invalid_nik(bad):
    checks, _ = run(docs=[ktp(nik=bad), ijazah(), sehat()])
    assert checks["nik_valid"].reason == "NIK_INVALID"
    assert bad not in checks["nik_valid"].message  # masked


def test_registration_nik_differs():
    checks, _ = run(reg=registration(nik="3575024506990002"))
    assert checks["identity_reg_ktp_nik"].reason == "NIK_MISMATCH"
    assert "3575024506990002" not in checks["identity_reg_ktp_nik"].message


# ---- names and dates -------------------------------------------------------------------------------


def test_titles_and_muhammad_forms_match():
    reg = registration(nama="MUHAMMAD RIZKY PRATAMA, S.PD.")
    docs = [ktp(nama="MUHAMMAD RIZKY PRATAMA"), ijazah(nama="MOH. RIZKY PRATAMA, S.Pd."),
            sehat(nama="H. M. RIZKY PRATAMA")]
    checks, _ = run(reg=reg, docs=docs)
    for cid in ("identity_reg_ktp_nama", "identity_ktp_ijazah_nama", "identity_ktp_sehat_nama"):
        assert checks[cid].status == CheckStatus.PASS, checks[cid].message


def test_other_person_on_ijazah():
    checks, (status, _) = run(docs=[ktp(), ijazah(nama="DEWI LESTARI", tanggal_lahir="1998-02-11"), sehat()])
    assert checks["identity_ktp_ijazah_nama"].reason == "NAME_MISMATCH"
    assert checks["identity_ktp_ijazah_dob"].reason == "DOB_MISMATCH"
    assert "DEWI LESTARI" in checks["identity_ktp_ijazah_nama"].message
    assert status == DossierStatus.NEEDS_REVIEW


def test_registration_dob_differs():
    checks, _ = run(reg=registration(tanggal_lahir="1999-06-06"))
    assert checks["identity_reg_ktp_dob"].reason == "DOB_MISMATCH"


# ---- domicile ---------------------------------------------------------------------------------------


def test_address_with_abbreviations_matches():
    docs = [ktp(kel_desa="KEL. KEBON AGUNG", kecamatan="KEC. PURWOREJO", kabupaten_kota="KOTA PASURUAN"), ijazah(), sehat()]
    checks, _ = run(docs=docs)
    assert checks["domicile"].status == CheckStatus.PASS


def test_same_desa_name_in_another_kecamatan_is_out_of_area():
    """GIVEN a KTP from Kebonagung in Pakisaji (Kab. Malang) and a registration for Kebonagung, Kota Pasuruan."""
    docs = [ktp(kel_desa="KEBONAGUNG", kecamatan="PAKISAJI", kabupaten_kota="KABUPATEN MALANG"), ijazah(), sehat()]
    checks, (status, _) = run(docs=docs)
    assert checks["domicile"].reason == "OUT_OF_AREA"
    assert status == DossierStatus.NEEDS_REVIEW


def test_other_desa_same_kecamatan_is_out_of_area():
    other = next(REGIONS.name_of(c) for c in REGIONS.children_of("357502") if c != "35.75.02.1005")
    checks, _ = run(docs=[ktp(kel_desa=other.upper()), ijazah(), sehat()])
    assert checks["domicile"].reason == "OUT_OF_AREA"


def test_unreadable_address_is_review():
    checks, _ = run(docs=[ktp(kel_desa="XQZW"), ijazah(), sehat()])
    assert (checks["domicile"].status, checks["domicile"].reason) == (CheckStatus.REVIEW, "LOW_CONFIDENCE")


def test_nik_region_digits_do_not_decide_domicile():
    """GIVEN a NIK first issued in Kab. Malang (3507) and a KTP address in the registered desa THEN pass."""
    nik = "3507024506990001"
    checks, _ = run(reg=registration(nik=nik), docs=[ktp(nik=nik), ijazah(), sehat()])
    assert checks["domicile"].status == CheckStatus.PASS


# ---- education, health, citizenship ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jenjang", "ok"),
    [("SMA", True), ("SMK", True), ("MA", True), ("PAKET_C", True), ("S1", True), ("D3", True),
     ("SMP", False), ("SD", False), ("Sekolah Menengah Pertama", False), ("Madrasah Aliyah", True)],
)
def test_education(jenjang, ok):
    checks, _ = run(docs=[ktp(), ijazah(jenjang=jenjang), sehat()])
    assert (checks["education"].status == CheckStatus.PASS) is ok
    if not ok:
        assert checks["education"].reason == "EDUCATION_TOO_LOW"


def test_education_falls_back_on_school_name():
    checks, _ = run(docs=[ktp(), ijazah(jenjang=None, nama_sekolah="SMP NEGERI 2 PASURUAN"), sehat()])
    assert checks["education"].reason == "EDUCATION_TOO_LOW"


def test_not_healthy_is_not_eligible():
    checks, (status, _) = run(docs=[ktp(), ijazah(), sehat(kesimpulan="TIDAK SEHAT")])
    assert checks["health_conclusion"].reason == "NOT_HEALTHY"
    assert status == DossierStatus.NOT_ELIGIBLE


def test_vitals_missing_names_them():
    checks, _ = run(docs=[ktp(), ijazah(), sehat(gula_darah=None, kolesterol=None)])
    c = checks["health_vitals"]
    assert c.reason == "VITALS_MISSING"
    assert "gula darah" in c.message and "kolesterol" in c.message


def test_the_tidak_sehat_letter_read_badly_never_passes_and_says_not_read():
    """GIVEN a letter saying "Kesimpulan: TIDAK SEHAT" (157/111) read as SEHAT at 41%, with blood pressure and
    cholesterol printed but not read WHEN checked THEN the conclusion is doubted, never passed, and the vitals
    are "tidak terbaca", never "tidak memuat"."""
    letter = sehat(kesimpulan="SEHAT", tekanan_darah=None, kolesterol=None, conf={"kesimpulan": 0.41})
    del letter.fields["tekanan_darah"], letter.fields["kolesterol"]  # the labels were not read either
    checks, (status, _) = run(docs=[ktp(), ijazah(), letter])
    c = checks["health_conclusion"]
    assert c.status == CheckStatus.REVIEW and c.reason == "LOW_CONFIDENCE"
    assert "terbaca SEHAT, tetapi kurang yakin" in c.message
    v = checks["health_vitals"]
    assert v.status == CheckStatus.REVIEW and v.reason == "VITALS_UNREADABLE"
    assert "tidak terbaca: tekanan darah, kolesterol" in v.message and "tidak memuat" not in v.message
    assert status == DossierStatus.NEEDS_REVIEW


def test_a_low_confidence_sehat_never_passes_even_when_corroboration_is_on():
    assert RULES.confidence.corroborate
    checks, _ = run(docs=[ktp(), ijazah(), sehat(conf={"kesimpulan": 0.59})])
    assert checks["health_conclusion"].status == CheckStatus.REVIEW


@pytest.mark.parametrize("value", ["DAK SEHAT", "TDAK SEHAT", "TIDA SEHAT", "BELUN SEHAT", "TIDAK"])
def test_a_partial_negation_is_doubted(value):
    checks, _ = run(docs=[ktp(), ijazah(), sehat(kesimpulan=value)])
    c = checks["health_conclusion"]
    assert c.status == CheckStatus.REVIEW and c.reason == "CONCLUSION_DOUBTFUL"
    assert "mungkin tertulis TIDAK SEHAT" in c.message


@pytest.mark.parametrize("value", ["SEHAT", "SEHAT JASMANI DAN ROHANI", "BERBADAN SEHAT"])
def test_a_clear_sehat_passes(value):
    checks, _ = run(docs=[ktp(), ijazah(), sehat(kesimpulan=value)])
    assert checks["health_conclusion"].status == CheckStatus.PASS


def test_vitals_absent_from_a_letter_read_well_are_missing():
    letter = sehat()
    del letter.fields["kolesterol"]
    checks, _ = run(docs=[ktp(), ijazah(), letter])
    assert checks["health_vitals"].reason == "VITALS_MISSING"
    assert "tidak memuat: kolesterol" in checks["health_vitals"].message


def test_vital_thresholds_off_by_default_and_configurable():
    docs = [ktp(), ijazah(), sehat(tekanan_darah="190/110 mmHg")]
    checks, _ = run(docs=docs)
    assert checks["health_vitals"].status == CheckStatus.PASS
    vitals = RULES.health.vitals.model_copy(
        update={"thresholds": RULES.health.vitals.thresholds.model_copy(update={"enabled": True})})
    rules = RULES.model_copy(update={"health": RULES.health.model_copy(update={"vitals": vitals})})
    checks, _ = run(docs=docs, rules=rules)
    assert checks["health_vitals"].reason == "VITALS_OUT_OF_RANGE"


@pytest.mark.parametrize(
    ("letter", "daftar", "outcome"),
    [
        ("2023-09-20", None, None),  # exactly 3 months before 20-12-2023
        ("2023-09-19", None, "HEALTH_LETTER_STALE"),
        ("2023-12-20", None, None),
        ("2023-12-21", None, "HEALTH_LETTER_AFTER_REFERENCE"),
        ("2023-09-12", "2023-12-12", None),  # registration date is the reference when given
        ("2023-09-11", "2023-12-12", "HEALTH_LETTER_STALE"),
        ("2023-12-15", "2023-12-12", "HEALTH_LETTER_AFTER_REFERENCE"),
    ],
)
def test_health_letter_window(letter, daftar, outcome):
    checks, _ = run(reg=registration(tanggal_daftar=daftar), docs=[ktp(), ijazah(), sehat(tanggal_surat=letter)])
    assert checks["health_date"].reason == outcome
    if outcome == "HEALTH_LETTER_AFTER_REFERENCE":
        assert checks["health_date"].status == CheckStatus.REVIEW


def test_months_before_clamps_to_month_end():
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
    assert months_before(date(2023, 12, 20), 3) == date(2023, 9, 20)


@pytest.mark.parametrize(
    ("issuer", "ok"),
    [("PUSKESMAS KEBONAGUNG", True), ("RSUD DR. SOEDARSONO", True), ("RS. SAYIDIMAN", True),
     ("KLINIK PRATAMA SEHAT", True), ("RUMAH SAKIT ISLAM MASYITHOH", True), ("PUSKESMA5 PURWOREJO", True),
     ("APOTEK KIMIA FARMA", False), ("CV MAJU JAYA", False)],
)
def test_issuer(issuer, ok):
    checks, _ = run(docs=[ktp(), ijazah(), sehat(penerbit=issuer)])
    assert (checks["health_issuer"].status == CheckStatus.PASS) is ok


def test_foreigner_is_not_eligible():
    checks, (status, _) = run(docs=[ktp(kewarganegaraan="WNA"), ijazah(), sehat()])
    assert checks["citizenship"].reason == "NOT_WNI"
    assert status == DossierStatus.NOT_ELIGIBLE


# ---- duplicates and decision ---------------------------------------------------------------------------


def test_duplicate_nik_names_other_dossiers_not_itself():
    checks, (status, _) = run(duplicates={NIK: ["D-001", "D-777", "D-123"]})
    c = checks["duplicate_nik"]
    assert c.reason == "DUPLICATE_NIK"
    assert "D-123, D-777" in c.message and "D-001" not in c.message
    assert status == DossierStatus.NEEDS_REVIEW
    checks, _ = run(duplicates={NIK: ["D-001"]})
    assert checks["duplicate_nik"].status == CheckStatus.PASS


def test_duplicates_keyed_by_own_dossier_id():
    checks, _ = run(duplicates={"D-001": ["D-555"]})
    assert checks["duplicate_nik"].reason == "DUPLICATE_NIK" and "D-555" in checks["duplicate_nik"].message
    checks, _ = run(duplicates={"D-999": ["D-555"]})
    assert checks["duplicate_nik"].status == CheckStatus.PASS


def test_registration_error_is_not_an_unreadable_scan():
    err = FileError(file="registration.json", error="REGISTRATION_INVALID")
    checks, (status, _) = run(reg=None, default_reg=False, errors=[err])
    assert checks["files_readable"].status == CheckStatus.PASS
    assert status == DossierStatus.INCOMPLETE


def test_dossier_niks_for_the_index():
    assert dossier_niks_of(registration(nik="3575024506990002"), [ktp()]) == {NIK, "3575024506990002"}
    assert dossier_niks_of(None, []) == set()


def test_decision_order_incomplete_beats_not_eligible():
    born = "2010-01-01"
    checks, (status, missing) = run(docs=[ktp(tanggal_lahir=born), sehat()])
    assert checks["age_min"].reason == "UNDER_AGE"
    assert status == DossierStatus.INCOMPLETE and missing == [DocType.IJAZAH]


# ---- rules file ------------------------------------------------------------------------------------------


def test_rules_file_fails_loudly_with_key_name(tmp_path: Path):
    data = yaml.safe_load(DEFAULT_RULES.read_text())
    del data["age"]["min"]
    data["checks"]["age_max"]["verdict"] = "maybe"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as e:
        load_rules(bad)
    assert "age.min" in str(e.value) and "checks.age_max.verdict" in str(e.value)


def test_rules_values():
    assert RULES.reference_dates.voting_day == date(2024, 2, 14)
    assert (RULES.age.min, RULES.age.max) == (17, 55)
    assert RULES.verdict("age_min") == "not_eligible" and RULES.verdict("age_max") == "needs_review"


def test_rules_table_lists_every_check():
    from scripts.rules_table import rules_table

    table = rules_table(RULES)
    for check_id, c in RULES.checks.items():
        assert f"`{check_id}`" in table and f"`{c.reason}`" in table


def test_dates_typed_day_first_are_understood():
    checks, _ = run(docs=[ktp(tanggal_lahir="05-06-1999"), ijazah(tanggal_lahir="05/06/1999"), sehat()])
    assert checks["identity_ktp_ijazah_dob"].status == CheckStatus.PASS
    assert checks["age_min"].status == CheckStatus.PASS


def test_catalogue_has_a_message_for_every_outcome():
    from pipeline.checks.messages import load_catalogue

    cat = load_catalogue()
    for check_id, c in RULES.checks.items():
        for outcome in ("pass", c.reason, "LOW_CONFIDENCE", "FIELD_UNREADABLE"):
            msg, msg_en = cat.render(check_id, outcome, {})
            assert msg and msg_en, (check_id, outcome)


def test_messages_carry_no_unfilled_placeholders():
    cases = [run(), run(docs=[ktp(tanggal_lahir="2008-01-01", kel_desa="XQZW"), ijazah(jenjang="SMP"),
                              sehat(tanggal_surat="2023-01-01", kolesterol=None)], duplicates={NIK: ["D-2"]})]
    for checks, _ in cases:
        for c in checks.values():
            assert "{" not in c.message and "{" not in (c.message_en or ""), c.id
            assert " - " not in c.message, (c.id, c.message)


# ---- fields found but not read -----------------------------------------------------------------------


def test_a_field_found_but_not_read_is_reported_even_when_no_rule_uses_it():
    """GIVEN an ijazah whose place of birth was found (its box kept) but left empty by the reading WHEN the
    checks run THEN `fields_read` reports it FIELD_UNREADABLE with its box; nothing else changes."""
    checks, (status, _) = run(docs=[ktp(), ijazah(tempat_lahir=None), sehat()], duplicates={})
    assert failing(checks) == {"fields_read": "FIELD_UNREADABLE"}
    ev = checks["fields_read"].evidence
    assert [(e.document, e.field, e.box) for e in ev] == [(DocType.IJAZAH, "tempat_lahir", [10, 20, 100, 12])]
    assert status == DossierStatus.NEEDS_REVIEW


def test_an_unread_field_another_check_reports_is_not_reported_twice():
    checks, _ = run(docs=[ktp(), ijazah(nama=None), sehat()], duplicates={})
    assert failing(checks) == {"identity_ktp_ijazah_nama": "FIELD_UNREADABLE"}
    assert checks["fields_read"].status == CheckStatus.PASS


def test_an_unread_name_is_reported_when_there_is_no_card_to_compare_it_with():
    checks, _ = run(docs=[ijazah(), sehat(nama=None, tekanan_darah=None)], duplicates={})
    c = checks["fields_read"]
    assert c.reason == "FIELD_UNREADABLE" and "identity_ktp_sehat_nama" not in checks
    assert {(e.document, e.field) for e in c.evidence} == {(DocType.SURAT_SEHAT, "nama"),
                                                          (DocType.SURAT_SEHAT, "tekanan_darah")}
    assert c.message and c.message_en
