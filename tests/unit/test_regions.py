import pytest

from pipeline.regions import MatchRules, Regions, fold, plain_code


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


# ---- one table for the pipeline and the reports; weak matches are not filed under a real area -------------


def test_reports_read_the_same_table(regions):
    from pipeline.reports.areas import default_regions

    assert default_regions() is regions
    assert regions.children_of("35")[:2] == ["35.01", "35.02"] and len(regions.children_of("35")) == 38
    assert "35.75.02.1005" in regions.children_of("35.75.02")
    assert regions.name("35.75.02.1005") == regions.name_of("3575021005") == "Kebonagung"
    assert regions.name("35.75.??") == "(wilayah tidak dikenal)" and regions.name("35.99") == "35.99"
    # keyed as the store and the reports write codes, so `code in regions.names` works for them
    assert "35.75.02.1005" in regions.names and regions.children["35.75.02"] == regions.children_of("357502")


@pytest.mark.parametrize("kec", ["-", "?", " ", "..."])
def test_a_kecamatan_that_names_nothing_matches_nothing(regions, kec):
    """GIVEN kecamatan `-` (finding 8: it became the first kecamatan of the kota with score 0.0)."""
    m = regions.resolve_area("JAWA TIMUR", "KOTA PASURUAN", kec, "KARANGKETUG")
    assert m.kecamatan_code is None and m.desa_code is None
    assert m.scores["kecamatan"] == 0.0
    assert not regions.route("JAWA TIMUR", "KOTA PASURUAN", kec, "KARANGKETUG").confident


def test_a_kabkota_that_names_nothing_matches_nothing(regions):
    m = regions.resolve_area("JAWA TIMUR", "-", "PURWOREJO", "KEBONAGUNG")
    assert m.kabkota_code is None and m.scores["kabupaten_kota"] == 0.0


@pytest.mark.parametrize(
    ("area", "confident"),
    [
        (("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG"), True),
        (("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNC"), True),  # a slip scores above the floor
        (("JQXZ", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG"), True),  # the kab/kota code implies the province
        (("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KBNGNG"), False),  # best desa is Kebonagung, weakly
        (("JAWA TIMUR", "KOTA PASURUAN", "PRWRJ", "KEBONAGUNG"), False),
        (("JAWA TIMUR", "KOTA PSRN", "PURWOREJO", "KEBONAGUNG"), False),
        (("JAWA TENGAH", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNG"), False),  # no Kota Pasuruan in Jawa Tengah
    ],
)
def test_route_is_confident_only_when_every_level_scores_above_the_floor(regions, area, confident):
    route = regions.route(*area)
    assert route.confident is confident
    assert route.min_score == regions.rules.route_min_score == 0.85
    assert set(route.scores) >= {"kabupaten_kota", "kecamatan", "desa"}
    assert confident == all(route.scores[k] >= 0.85 for k in ("kabupaten_kota", "kecamatan", "desa"))


def test_thresholds_are_data(tmp_path):
    import shutil

    from pipeline.regions import WILAYAH_DIR

    for f in WILAYAH_DIR.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "matching.yaml").write_text("province_trust: 0.75\nroute_min_score: 0.95\n")
    strict = Regions.load(tmp_path)
    assert strict.rules.route_min_score == 0.95
    assert not strict.route("JAWA TIMUR", "KOTA PASURUAN", "PURWOREJO", "KEBONAGUNC").confident
    (tmp_path / "matching.yaml").write_text("route_min_score: 1.5\n")
    with pytest.raises(ValueError, match="route_min_score"):
        MatchRules.load(tmp_path / "matching.yaml")


def test_every_desa_of_the_table_is_filed_under_its_own_code(regions):
    """The floor must not send real areas to `unknown`: each desa of Jawa Timur, named as the table names it."""
    wrong = []
    for kab in regions.children["35"]:
        for kec in regions.children[kab]:
            for desa in regions.children[kec]:
                route = regions.route("JAWA TIMUR", regions.names[kab], regions.names[kec], regions.names[desa])
                if not route.confident or route.match.desa_code != plain_code(desa):
                    wrong.append(desa)
    assert wrong == []
