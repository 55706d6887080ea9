import pytest

from pipeline.regions import Regions, fold


@pytest.fixture(scope="module")
def regions() -> Regions:
    return Regions.load()


def test_load_is_cached_and_complete(regions):
    assert Regions.load() is regions
    assert regions.name_of("35") == "JAWA TIMUR"
    assert regions.name_of("35.75") == "KOTA PASURUAN"
    # 38 kab/kota in Jawa Timur
    assert len(regions.children["35"]) == 38


@pytest.mark.parametrize(
    ("code", "ok"),
    [("3575", True), ("35.75", True), ("1101", True), ("3599", False), ("357502", False), ("35", False)],
)
def test_kabkota_codes(regions, code, ok):
    assert regions.is_valid_kabkota_code(code) is ok


def test_domain_example(regions):
    m = regions.resolve_area("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG")
    assert (m.provinsi_code, m.kabkota_code, m.kecamatan_code, m.desa_code) == (
        "35",
        "3575",
        "357502",
        "3575021005",
    )
    assert m.score == 1.0


def test_desa_resolved_only_inside_its_kecamatan(regions):
    """GIVEN Kebonagung, a desa name found in many kecamatan, THEN each kecamatan yields its own code."""
    a = regions.resolve_area("JAWA TIMUR", "KABUPATEN MALANG", "PAKISAJI", "KEBONAGUNG")
    b = regions.resolve_area("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG")
    assert a.desa_code.startswith(a.kecamatan_code)
    assert a.kabkota_code == "3507"
    assert a.desa_code != b.desa_code
    assert regions.name_of(a.desa_code).upper() == "KEBONAGUNG"


@pytest.mark.parametrize(
    ("prov", "kab", "kec", "desa"),
    [
        ("PROVINSI JAWA TIMUR", "KOTA PASURUAN", "KEC. PURWOREJO", "KEL. KEBONAGUNG"),
        ("JAWA TIMUR", "Kota Pasuruan", "Purworejo", "Kebon Agung"),
        ("JAWA TlMUR", "K0TA PASURUAN", "PURW0REJ0", "KEBONAGUNG."),
        ("JAWA TIMUR", "PASURUAN", "PURWOREJO", "KEBONAGUNG"),  # no KOTA: kecamatan decides
        ("JAWA TIMUR", "KOTA PASURUAN", "PURWOREDJO", "KEBONAGOENG"),  # old spelling
        ("JAWA TIMUR", "KOTA PASURUAM", "PURWOREJO", "KEBONAGUNC"),  # OCR slips
    ],
)
def test_abbreviations_spelling_and_noise(regions, prov, kab, kec, desa):
    m = regions.resolve_area(prov, kab, kec, desa)
    assert m.desa_code == "3575021005"
    assert m.score >= 0.85


def test_kab_and_kota_with_same_name(regions):
    kab = regions.resolve_area("JAWA TIMUR", "KABUPATEN PASURUAN", None, None)
    kota = regions.resolve_area("JAWA TIMUR", "KOTA PASURUAN", None, None)
    assert (kab.kabkota_code, kota.kabkota_code) == ("3514", "3575")


def test_codes_are_accepted_as_input(regions):
    m = regions.resolve_area("35", "35.75", "35.75.02", "35.75.02.1005")
    assert m.desa_code == "3575021005"
    assert m.score == 1.0


def test_unknown_desa_scores_low(regions):
    m = regions.resolve_area("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "ZZQXWV")
    assert m.scores["desa"] < 0.5


def test_fold():
    assert fold("Kel. Kebon-Agung", ("desa",)) == "KEBONAGUNG"
    assert fold("SOERABAJA") == "SURABAJA"
    assert fold("DESA", ("desa",)) == "DESA"  # a lone prefix word is kept


def test_garbled_province_does_not_hide_the_kabkota(regions):
    m = regions.resolve_area("JQXZ TLMPR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG")
    assert m.desa_code == "3575021005"
    assert "provinsi" not in m.scores


def test_other_province(regions):
    m = regions.resolve_area("JAWA TENGAH", "KOTA SEMARANG", None, None)
    assert m.provinsi_code == "33" and regions.name_of(m.kabkota_code) == "KOTA SEMARANG"
