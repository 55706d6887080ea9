"""Readers on canned OCR pages: labels, geometry, normalisation and honest confidences."""

from __future__ import annotations

from datetime import date

import pytest

from models.contract import DocType
from pipeline.context import FieldValue
from pipeline.nlp import build_nlp
from pipeline.reading.common.lines import split_colon, union_box, visual_lines
from pipeline.reading.ktp.looks import merge_nik
from pipeline.reading.ktp.nik_reader import NikReading
from tests.unit.ocr_fakes import extract, fake_page, policy, tools

NIK = "3575024506990001"  # made up: Kota Pasuruan, woman born 05-06-1999

KTP_ROWS: list = [
    [(300, "PROVINSI JAWA TIMUR")],
    [(300, "KOTA PASURUAN")],
    [(40, "NIK"), (240, f": {NIK}")],
    [(40, "Nama"), (240, ": SITI AMINAH")],
    [(40, "Tempat/Tgl Lahir"), (240, ": PASURUAN, 05-06-1999")],
    [(40, "Jenis Kelamin"), (240, ": PEREMPUAN"), (560, "Gol. Darah : O")],
    [(40, "Alamat"), (240, ": JL. SOEKARNO HATTA NO. 12")],
    [(70, "RT/RW"), (240, ": 003/019")],
    [(70, "Kel/Desa"), (240, ": KEBONAGUNG")],
    [(70, "Kecamatan"), (240, ": PURWOREJO")],
    [(40, "Agama"), (240, ": KATHOLIK")],
    [(40, "Status Perkawinan"), (240, ": BELUM KAWIN"), (800, "PASURUAN")],
    [(40, "Pekerjaan"), (240, ": PELAJAR/MAHASISWA"), (800, "01-04-2019")],
    [(40, "Kewarganegaraan"), (240, ": WNI")],
    [(40, "Berlaku Hingga"), (240, ": SEUMUR HIDUP")],
]


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def test_ktp_rows_by_label_and_geometry(nlp) -> None:
    fields = extract(DocType.KTP, fake_page(KTP_ROWS), nlp)
    values = {k: v.value for k, v in fields.items()}
    assert values == {
        "provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "nik": NIK, "nama": "SITI AMINAH",
        "tempat_lahir": "PASURUAN", "tanggal_lahir": date(1999, 6, 5), "jenis_kelamin": "PEREMPUAN",
        "golongan_darah": "O", "alamat": "JL. SOEKARNO HATTA NO. 12", "rt_rw": "003/019",
        "kel_desa": "KEBONAGUNG", "kecamatan": "PURWOREJO", "agama": "KATOLIK",
        "status_perkawinan": "BELUM KAWIN", "pekerjaan": "PELAJAR/MAHASISWA", "kewarganegaraan": "WNI",
        "berlaku_hingga": "SEUMUR HIDUP",
    }


def test_ktp_survives_noisy_labels_and_missing_colons(nlp) -> None:
    """GIVEN OCR slips in labels (RTIRW, Kelamln, a lost colon) THEN rows still land in their fields."""
    rows = [list(r) for r in KTP_ROWS]
    rows[5] = [(40, "Jenis Kelamln"), (240, ": LAKI-LAKl"), (560, "Gol. Darah : -")]
    rows[7] = [(70, "RTIRW"), (240, ": OO3/O19")]
    rows[10] = [(40, "Agama"), (240, "ISLAM")]
    rows[4] = [(40, "Tempat/Tgl Lahir"), (240, ": PASURUAN, O5-06-l999")]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert fields["jenis_kelamin"].value == "LAKI-LAKI"
    assert fields["golongan_darah"].value == "-"
    assert fields["rt_rw"].value == "003/019"
    assert fields["agama"].value == "ISLAM"
    assert fields["tanggal_lahir"].value == date(1999, 6, 5)


def test_field_box_is_union_of_value_words_and_confidence_follows_ocr(nlp) -> None:
    page = fake_page(KTP_ROWS, confs={"SITI": 0.4, "AMINAH": 0.6})
    fields = extract(DocType.KTP, page, nlp)
    nama = fields["nama"]
    words = [w for w in page.words if w.text in ("SITI", "AMINAH")]
    assert nama.box == union_box(words)
    assert nama.confidence <= 0.5 + 1e-9  # mean of 0.4 and 0.6, never more
    assert fields["agama"].confidence <= 0.95


def test_bad_nik_gets_low_confidence(nlp) -> None:
    rows = [list(r) for r in KTP_ROWS]
    rows[2] = [(40, "NIK"), (240, ": 35750245069900")]  # 14 digits
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert fields["nik"].confidence < 0.3


def test_visual_lines_join_columns_at_same_height() -> None:
    lines = visual_lines(fake_page(KTP_ROWS))
    assert [w.text for w in lines[3].words] == ["Nama", ":", "SITI", "AMINAH"]


def test_split_colon_cuts_glued_colon() -> None:
    page = fake_page(["Nama:SITI AMINAH"])
    left, right = split_colon(page.words)
    assert [w.text for w in left] == ["Nama"]
    assert [w.text for w in right] == ["SITI", "AMINAH"]
    assert right[0].box[0] > left[0].box[0]


IJAZAH_ROWS: list = [
    "KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN",
    "IJAZAH",
    "SEKOLAH MENENGAH KEJURUAN",
    "TAHUN PELAJARAN 2016/2017",
    [(40, "Nama Sekolah"), (400, ": SMK NEGERI 1 PASURUAN")],
    "menerangkan bahwa:",
    [(40, "nama"), (400, ": BUDI SANTOSO")],
    [(40, "tempat dan tanggal lahir"), (400, ": Pasuruan, 5 Juni 1999")],
    [(40, "nama orang tua/wali"), (400, ": SUPARMAN")],
    [(40, "Nomor Induk Siswa Nasional"), (400, ": 99O1234567")],
    "dinyatakan LULUS dari satuan pendidikan",
    [(700, "Pasuruan, 2 Juni 2017")],
    "DN-05 Mk/13 0001234",
]


def test_ijazah_keywords_and_labels(nlp) -> None:
    fields = extract(DocType.IJAZAH, fake_page(IJAZAH_ROWS), nlp)
    values = {k: v.value for k, v in fields.items()}
    assert values == {
        "nama_sekolah": "SMK NEGERI 1 PASURUAN", "nama": "BUDI SANTOSO", "tempat_lahir": "PASURUAN",
        "tanggal_lahir": date(1999, 6, 5), "nisn": "9901234567", "nomor_ijazah": "DN-05 MK/13 0001234",
        "jenjang": "SMK", "tahun_lulus": 2017,
    }


def test_ijazah_name_after_statement_without_label(nlp) -> None:
    rows = ["IJAZAH", "SEKOLAH MENENGAH ATAS", "Kepala SMA Negeri 2 Malang menerangkan bahwa", "RINA WATI",
            "lahir di Malang, 1 Mei 2000", "Malang, 5 Juni 2018"]
    fields = extract(DocType.IJAZAH, fake_page(rows), nlp)
    assert fields["nama"].value == "RINA WATI"
    assert fields["jenjang"].value == "SMA"
    assert fields["tahun_lulus"].value == 2018


@pytest.mark.parametrize(("title", "school", "level"), [
    ("SEKOLAH MENENGAH UMUM", "SMU NEGERI 6 TRENGGALEK", "SMA"),
    ("SEKOLAH TEKNOLOGI MENENGAH", "STM NEGERI 7 JOMBANG", "SMK"),
    ("SEKOLAH MENENGAH EKONOMI ATAS", "SMEA NEGERI 1 KEDIRI", "SMK"),
    ("SEKOLAH LANJUTAN TINGKAT PERTAMA", "SLTP NEGERI 2 BLITAR", "SMP"),
])
def test_ijazah_level_from_earlier_school_names(nlp, title, school, level) -> None:
    """Diplomas from before 2003 name the school types SMU, STM, SMEA, SLTP: the level is today's equivalent,
    from the title and from the school's name alone (a title lost to a crease)."""
    rows = ["IJAZAH", title, f"Satuan Pendidikan {school} menerangkan bahwa", "Nama : EKO SANTOSO"]
    assert extract(DocType.IJAZAH, fake_page(rows), nlp)["jenjang"].value == level
    assert extract(DocType.IJAZAH, fake_page([rows[0], *rows[2:]]), nlp)["jenjang"].value == level


SEHAT_ROWS: list = [
    "PEMERINTAH KOTA PASURUAN",
    "DINAS KESEHATAN",
    "UPT PUSKESMAS PURWOREJO",
    "SURAT KETERANGAN SEHAT",
    [(300, "Nomor : 440 / 123 / PKM / 2023")],
    "Yang bertanda tangan di bawah ini dokter pemeriksa,",
    [(60, "Nama"), (300, ": dr. Rahmat Hidayat")],
    "menerangkan bahwa:",
    [(60, "Nama"), (300, ": SITI AMINAH")],
    [(60, "Tempat/Tgl Lahir"), (300, ": Pasuruan, 05-06-1999")],
    [(60, "Tekanan Darah"), (300, ": 12O/8O mmHg")],
    [(60, "Gula Darah Sewaktu"), (300, ": 98 mg/dL")],
    [(60, "Kolesterol"), (300, ": -")],
    "Dinyatakan dalam keadaan TIDAK SEHAT.",
    [(700, "Pasuruan, 12 Desember 2023")],
    [(700, "dr. Rahmat Hidayat")],
]


def test_health_letter_fields(nlp) -> None:
    fields = extract(DocType.SURAT_SEHAT, fake_page(SEHAT_ROWS), nlp)
    values = {k: v.value for k, v in fields.items()}
    assert values["nama"] == "SITI AMINAH"
    assert values["penerbit"] == "UPT PUSKESMAS PURWOREJO"
    assert values["nomor_surat"] == "440/123/PKM/2023"
    assert values["tanggal_surat"] == date(2023, 12, 12)
    assert values["kesimpulan"] == "TIDAK SEHAT"
    assert values["tekanan_darah"] == "120/80"
    assert values["gula_darah"] == "98 MG/DL"
    # the cholesterol label is there but shows no value: present, None, low confidence
    assert values["kolesterol"] is None and fields["kolesterol"].confidence < 0.3


def test_health_letter_without_vitals_has_no_vitals_fields(nlp) -> None:
    rows = [r for r in SEHAT_ROWS if not (isinstance(r, list) and r[0][1] in ("Gula Darah Sewaktu", "Kolesterol"))]
    rows = [r if r != "Dinyatakan dalam keadaan TIDAK SEHAT." else "Dinyatakan SEHAT jasmani." for r in rows]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert "gula_darah" not in fields and "kolesterol" not in fields
    assert fields["kesimpulan"].value == "SEHAT"


def test_unknown_and_empty_pages_give_no_fields(nlp) -> None:
    assert extract(DocType.UNKNOWN, fake_page(KTP_ROWS), nlp) == {}
    assert extract(DocType.KTP, fake_page([]), nlp) == {}


def _reading(digits: str | None, conf: float, uncertain: bool) -> NikReading:
    return NikReading(digits=digits, digit_conf=[conf] * 16, box=(0, 0, 10, 10), uncertain=uncertain)


def test_nik_readers_agreeing_keep_the_better_confidence() -> None:
    ocr = FieldValue(NIK, 0.7, (1, 2, 3, 4), NIK)
    merged = merge_nik(ocr, _reading(NIK, 0.9, False), policy())
    assert merged is not None and merged.value == NIK and merged.confidence == 0.9


def test_nik_readers_disagreeing_are_capped_as_uncertain() -> None:
    other = "3575024506990002"
    merged = merge_nik(FieldValue(other, 0.9, None, other), _reading(NIK, 0.95, False), policy())
    assert merged is not None and merged.value == NIK
    assert merged.confidence <= policy().disagree_cap


def test_nik_reader_without_digits_leaves_ocr_alone() -> None:
    ocr = FieldValue(NIK, 0.7, None, NIK)
    assert merge_nik(ocr, _reading(None, 0.0, True), policy()) is ocr


class _NoEngine:
    """An engine that must not be called (the text layer is enough)."""

    name = "none"

    def read(self, image, *, psm: int = 3, whitelist: str | None = None):
        raise AssertionError("OCR called although the page has a usable text layer")


def test_read_page_uses_a_usable_text_layer_without_ocr(nlp) -> None:
    from pipeline.context import PageInput
    from pipeline.reading import read_page

    page = PageInput(file="berkas.pdf", page=1, sha256="0" * 64, text_layer=fake_page(SEHAT_ROWS), kind="pdf")
    reading = read_page(page, tools(nlp, _NoEngine()))
    assert reading.type == DocType.SURAT_SEHAT
    assert reading.value("nama") == "SITI AMINAH"
    assert reading.type_scores["surat_sehat"] > reading.type_scores["ktp"]


@pytest.mark.tesseract
def test_read_page_on_a_card_from_another_renderer(nlp) -> None:
    """GIVEN a KTP-like card drawn by the OCR test renderer (not the sample generator's layout)
    WHEN it is read end to end with real tesseract THEN rows land in their fields, boxes in page pixels."""
    from pipeline.context import PageInput
    from pipeline.ocr.factory import make_engine
    from pipeline.reading import read_page
    from tests.unit.synth import DEMO_ROWS, render_card

    card, nik_box = render_card(NIK, DEMO_ROWS, width=1100, seed=3)
    page = PageInput(file="ktp.png", page=1, sha256="0" * 64, image=card)
    reading = read_page(page, tools(nlp, make_engine()))
    assert reading.type == DocType.KTP
    assert reading.value("nama") == "SITI AMINAH"
    assert reading.value("tanggal_lahir") == date(1999, 6, 5)
    assert reading.value("kel_desa") == "KEBONAGUNG"
    assert reading.value("rt_rw") == "003/019"
    assert reading.value("nik") == NIK
    box = reading.fields["nama"].box
    assert box is not None and 0 <= box[0] < card.shape[1] and 0 <= box[1] < card.shape[0]


def test_university_diploma_statement_form(nlp) -> None:
    """GIVEN a university diploma without label rows THEN name, birth, school and level come from text."""
    rows = ["Nomor Ijazah: 9443/UN10/PP/1990", "UNIVERSITAS ISLAM MALANG", "IJAZAH", "dengan ini menyatakan bahwa",
            "RINI PUSPITA SARI", "lahir di Probolinggo, tanggal 15 Februari 1968",
            "Program Sarjana sehingga kepadanya diberikan gelar", "Jember, 14 Mei 1990"]
    fields = extract(DocType.IJAZAH, fake_page(rows), nlp)
    values = {k: v.value for k, v in fields.items()}
    assert values == {
        "nomor_ijazah": "9443/UN10/PP/1990", "nama_sekolah": "UNIVERSITAS ISLAM MALANG", "nama": "RINI PUSPITA SARI",
        "tanggal_lahir": date(1968, 2, 15), "tempat_lahir": "PROBOLINGGO", "jenjang": "S1", "tahun_lulus": 1990,
    }


def test_letter_number_keeps_roman_month(nlp) -> None:
    rows = list(SEHAT_ROWS)
    rows[4] = [(300, "Nomor : 768 / SKS / KP / X1 / 2023")]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["nomor_surat"].value == "768/SKS/KP/XI/2023"


def test_ktp_rows_whose_labels_were_lost_follow_the_card_order(nlp) -> None:
    """GIVEN a faint card where OCR kept values but lost most labels
    THEN values take their row by order, garbled labels stay out, and confidence stays low."""
    rows = [
        [(300, "PROVINSI JAWA TIMUR")], [(300, "KABUPATEN KEDIRI")],
        [(240, f"| {NIK}")],
        [(240, "| WULAN PUSPITASARI")],
        [(40, "Tempat! $ Late"), (240, "PROBOLINGGO , 07-09-1980")],
        [(240, ": PEREMPUAN")],
        [(240, "1 DUSUN NGEMPLAK")],
        [(70, "RT/RW"), (240, ": 002/011")],
        [(70, "KoVDesa"), (240, "SEMPU")],
        [(240, ": NGANCAR")],
        [(240, "LISLAM")],
    ]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    values = {k: v.value for k, v in fields.items()}
    assert values["nama"] == "WULAN PUSPITASARI"
    assert values["tempat_lahir"] == "PROBOLINGGO"
    assert values["tanggal_lahir"] == date(1980, 9, 7)
    assert values["jenis_kelamin"] == "PEREMPUAN"
    assert values["alamat"] == "DUSUN NGEMPLAK"
    assert values["kel_desa"] == "SEMPU"
    assert values["kecamatan"] == "NGANCAR"
    assert values["agama"] == "ISLAM"
    assert all(fields[k].confidence <= 0.6 for k in ("nama", "alamat", "kel_desa", "kecamatan", "agama"))
    assert fields["rt_rw"].confidence > 0.6  # a labelled row keeps its trust


def test_a_closed_row_whose_label_was_cut_to_a_letter_keeps_its_value(nlp) -> None:
    """GIVEN a low-resolution card where OCR read the citizenship label as "K" ("K : WNI")
    THEN the row is placed by order, the remnant goes, and WNI is read; a remnant before a value that is not
    exactly the row's vocabulary ("K : WNL") leaves the row unread rather than guessed."""
    rows = list(KTP_ROWS)
    rows[13] = [(40, "K"), (240, ": WNI")]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert fields["kewarganegaraan"].value == "WNI"
    assert fields["kewarganegaraan"].confidence > 0.6
    rows[13] = [(40, "K"), (240, ": WNL")]
    fields = extract(DocType.KTP, fake_page(rows), nlp)
    assert fields.get("kewarganegaraan") is None or fields["kewarganegaraan"].value is None


def test_issuer_from_the_body_when_the_letterhead_is_lost(nlp) -> None:
    rows = ["(D9 — PRATAMA RAWAT INAP AL-HIKMAH", "Jl. Diponegoro No. 14", "SURAT KETERANGAN SEHAT",
            "Yang bertanda tangan di bawah ini dr. Daniel, dokter pada Klinik Pratama Rawat Inap Al-hikmah,",
            "menerangkan bahwa:", [(60, "Nama"), (300, ": SITI AMINAH")], "Dinyatakan SEHAT."]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["penerbit"].value == "KLINIK PRATAMA RAWAT INAP AL-HIKMAH"
    assert fields["penerbit"].confidence <= 0.8 * 0.95 + 1e-9


class _ScriptedEngine:
    """Returns canned pages in order, one per read() call."""

    name = "scripted"

    def __init__(self, pages) -> None:
        self.pages = list(pages)
        self.calls = 0

    def read(self, image, *, psm: int = 3, whitelist: str | None = None):
        self.calls += 1
        return self.pages.pop(0)


def test_weak_page_is_read_again_and_the_best_reading_kept() -> None:
    """GIVEN a first reading with no evidence WHEN the sparse read finds nothing and the upside-down read
    finds a KTP THEN the KTP reading is kept, its boxes turned back, and no further read is made."""
    import numpy as np

    from pipeline.classify import classify
    from pipeline.context import PageInput
    from pipeline.reading.acquire import Source, _retry

    image = np.full((600, 1200), 255, np.uint8)
    blank = fake_page(["~~ ..."])
    ktp = fake_page(KTP_ROWS)
    engine = _ScriptedEngine([fake_page([]), ktp, fake_page([])])
    page = PageInput(file="a.jpg", page=1, sha256="0" * 64, image=image)
    first = Source(blank, image, None)
    src, doc_type, _ = _retry(page, first, *classify(blank), engine)
    assert doc_type == DocType.KTP and engine.calls == 2
    assert src.to_page is not None and src.to_page((0, 0, 100, 20)) == (1100, 580, 100, 20)


def test_school_name_from_the_statement_not_the_title(nlp) -> None:
    """GIVEN an ijazah whose 'Nama Sekolah' row was lost THEN the school comes from the graduation sentence,
    never from the title's school type."""
    rows = [r for r in IJAZAH_ROWS if not (isinstance(r, list) and r[0][1] == "Nama Sekolah")]
    rows.insert(-2, "SMK NEGERI 1 PASURUAN Tahun Pelajaran 2016/2017.")
    fields = extract(DocType.IJAZAH, fake_page(rows), nlp)
    assert fields["nama_sekolah"].value == "SMK NEGERI 1 PASURUAN"
    assert fields["nama_sekolah"].confidence <= 0.8


@pytest.mark.parametrize(("printed", "value"), [("12O/8O mmHg", "120/80"), ("120175 mmHg", "120/75"),
                                               ("10070 mmHg", "100/70"), ("1234567", None)])
def test_blood_pressure_repairs_and_low_trust_guesses(nlp, printed: str, value: str | None) -> None:
    rows = list(SEHAT_ROWS)
    rows[10] = [(60, "Tekanan Darah"), (300, f": {printed}")]
    fv = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)["tekanan_darah"]
    assert fv.value == value
    if "/" not in printed:  # a slash that had to be guessed is never trusted enough to pass unseen
        assert fv.confidence < 0.6


def test_form_words_never_become_a_name_or_a_letter_number(nlp) -> None:
    """GIVEN rows that OCR scrambled (a sideways scan) THEN form text is not taken for a name or number."""
    rows = ["SURAT KETERANGAN SEHAT", "Nama menerangkan dengan sebenarnya bahwa PUSKESMAS TEGALASRI",
            "No. Pemeriksaan Hasil", [(60, "Nama"), (300, ": SUMARNI WAHYUNI")], "dinyatakan SEHAT"]
    fields = extract(DocType.SURAT_SEHAT, fake_page(rows), nlp)
    assert fields["nama"].value == "SUMARNI WAHYUNI"
    assert "nomor_surat" not in fields
    ijazah = extract(DocType.IJAZAH, fake_page(["IJAZAH", "nama menerangkan bahwa:"]), nlp)
    assert "nama" not in ijazah
