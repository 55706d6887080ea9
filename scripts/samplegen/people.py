"""Synthetic people: Indonesian names, birth data, addresses and NIKs. No real person is described."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from scripts.samplegen.regions import Desa, birthplace_names, pick_desa, pick_other_desa

VOTING_DAY = date(2024, 2, 14)

_JAVA_M = ["BUDI", "AGUS", "EKO", "DWI", "TRI", "WAHYU", "BAMBANG", "SUTRISNO", "JOKO", "HERU", "SLAMET",
           "YUDHA", "ANDIK", "ARIF", "BAYU", "DIMAS", "GALIH", "PRASETYO", "SUGENG", "TEGUH", "PURNOMO"]
_JAVA_F = ["SRI", "ENDANG", "DWI", "TRI", "RAHAYU", "SUMARNI", "WULAN", "RATNA", "YULI", "NINGSIH",
           "PUJI", "DEWI", "INDAH", "LESTARI", "ANIK", "SETYOWATI", "KUSUMA", "ASTUTIK"]
_JAVA_LAST_M = ["SANTOSO", "SETIAWAN", "PRASETYO", "WIBOWO", "SUSANTO", "HARYANTO", "KURNIAWAN", "SAPUTRA",
                "NUGROHO", "PURWANTO", "HIDAYAT", "SUGIARTO"]
_JAVA_LAST_F = ["WAHYUNI", "LESTARI", "WULANDARI", "RAHAYU", "HANDAYANI", "UTAMI", "PUSPITASARI", "RAHMAWATI",
                "SUSANTI", "KURNIASARI", "NINGRUM"]
_MADURA_M = ["MOH. HOLIL", "ABD. RAHMAN", "FATHORRAHMAN", "MARSUKI", "ACH. FAUZI", "BUSIRI", "HOSNOL",
             "MOH. SAHRI", "SUBAIDI", "MATRAWI", "ROFIQ", "NURHOLIS", "MOH. JUFRI"]
_MADURA_F = ["SITTI MAIMUNAH", "JUHAIRIYAH", "ROFIQOH", "HOLIFAH", "SUPIYATI", "MUSRIFAH", "NURHAYATI",
             "SITTI AISYAH", "MAHFUDHOH", "QOMARIYAH"]
_ARAB_M = ["MUHAMMAD", "AHMAD", "ABDUL", "KHOIRUL", "ZAINAL", "AINUL", "FAHMI", "RIZKY", "NUR", "MA'RUF",
           "HABIBULLOH", "ILHAM", "SYAIFUL", "MUSTOFA", "ALI", "HASAN", "LUTFI"]
_ARAB_M_LAST = ["FAUZAN", "GHOFUR", "ANAM", "ARIFIN", "YAQIN", "HIDAYAT", "RIZKY", "HAKIM", "MUBAROK",
                "ROZIQIN", "HUDA", "SHOLEH", "MAULANA", "FIRDAUS", "ZAKARIA", "ABIDIN"]
_ARAB_F = ["SITI", "NUR", "FATIMATUZ", "LAILATUL", "UMMI", "KHOIRUN", "NI'MAH", "AINUN", "ZAHROTUL",
           "HUSNUL", "ANISA", "AMALIA"]
_ARAB_F_LAST = ["AMINAH", "AINI", "ZAHRO", "FITRIYAH", "NISA", "KHOTIMAH", "MUFIDAH", "HASANAH",
                "NURHALIZA", "MAGHFIROH", "SHOLIHAH", "ROHMAH", "NADHIFAH"]
_CHRIST_M = ["YOHANES", "STEFANUS", "YOSEF", "PAULUS", "AGUSTINUS", "DANIEL", "YAKOBUS", "MARKUS",
             "ANDREAS", "PETRUS", "MATIUS", "ROBERTUS"]
_CHRIST_F = ["MARIA", "THERESIA", "FRANSISKA", "NATALIA", "KRISTINA", "ELISABETH", "MAGDALENA", "VERONIKA",
             "AGNES", "LIDIA", "YOHANA"]
_STREETS = ["MAWAR", "MELATI", "KENANGA", "DIPONEGORO", "SUDIRMAN", "AHMAD YANI", "PAHLAWAN", "KARTINI",
            "SUKARNO HATTA", "GAJAH MADA", "HAYAM WURUK", "RAYA", "MERDEKA", "NUSANTARA", "SETIA BUDI"]
_DUSUN = ["KRAJAN", "SUMBERSARI", "TEGALREJO", "KARANGANYAR", "NGEMPLAK", "BABAKAN", "SIDOMULYO", "KEDUNGREJO",
          "WONOREJO", "PANDANSARI", "SUKOREJO", "MOJOSARI", "GEMPOL", "JATIREJO"]
_PERUM = ["GRIYA ASRI", "BUMI PERMAI", "PONDOK INDAH", "TAMAN SARI", "GRAHA PERMATA", "CITRA HARMONI"]
PEKERJAAN = ["PELAJAR/MAHASISWA", "WIRASWASTA", "MENGURUS RUMAH TANGGA", "KARYAWAN SWASTA", "PETANI/PEKEBUN",
             "GURU", "BURUH HARIAN LEPAS", "BELUM/TIDAK BEKERJA", "PEDAGANG", "PERANGKAT DESA",
             "NELAYAN/PERIKANAN", "KARYAWAN HONORER"]


@dataclass(frozen=True)
class Person:
    """One synthetic candidate. `nama` is the KTP spelling (upper-case, no titles)."""

    nama: str
    jenis_kelamin: str  # LAKI-LAKI | PEREMPUAN
    tanggal_lahir: date
    tempat_lahir: str
    desa: Desa  # domicile (KTP address)
    nik_desa: Desa  # where the NIK was first issued
    alamat: str
    rt_rw: str
    agama: str
    status_perkawinan: str
    pekerjaan: str
    golongan_darah: str
    nik_serial: int
    nama_ortu: str
    title_prefix: str = ""  # e.g. "H." printed on some documents
    title_suffix: str = ""  # e.g. "S.Pd." printed on some documents

    @property
    def female(self) -> bool:
        return self.jenis_kelamin == "PEREMPUAN"

    @property
    def nik(self) -> str:
        return make_nik(self.nik_desa.kecamatan_kode6, self.tanggal_lahir, self.female, self.nik_serial)

    def age_on(self, ref: date = VOTING_DAY) -> int:
        return age_on(self.tanggal_lahir, ref)


def make_nik(kode6: str, born: date, female: bool, serial: int) -> str:
    """PP KK CC DDMMYY SSSS, with 40 added to the day for women."""
    day = born.day + (40 if female else 0)
    return f"{kode6}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def age_on(born: date, ref: date) -> int:
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def _choice(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def make_name(rng: np.random.Generator, female: bool) -> tuple[str, str]:
    """(name, agama) drawn from Javanese, Madurese, Arabic-origin and Christian name pools."""
    pool = rng.choice(["java", "madura", "arab", "christ"], p=[0.35, 0.15, 0.38, 0.12])
    agama = "ISLAM"
    if pool == "java":
        first = _choice(rng, _JAVA_F if female else _JAVA_M)
        parts = [first] + ([_choice(rng, _JAVA_LAST_F if female else _JAVA_LAST_M)] if rng.random() < 0.8 else [])
        if rng.random() < 0.06:
            agama = _choice(rng, ["HINDU", "BUDDHA", "KRISTEN"])
    elif pool == "madura":
        parts = [_choice(rng, _MADURA_F if female else _MADURA_M)]
        if rng.random() < 0.5:
            parts.append(_choice(rng, _ARAB_F_LAST if female else _ARAB_M_LAST))
    elif pool == "arab":
        parts = [_choice(rng, _ARAB_F if female else _ARAB_M)]
        parts += [_choice(rng, _ARAB_F_LAST if female else _ARAB_M_LAST) for _ in range(int(rng.integers(1, 4)))]
    else:
        parts = [_choice(rng, _CHRIST_F if female else _CHRIST_M), _choice(rng, _JAVA_LAST_F if female else _JAVA_LAST_M)]
        if rng.random() < 0.3:
            parts.insert(1, _choice(rng, _CHRIST_F if female else _CHRIST_M))
        agama = str(rng.choice(["KRISTEN", "KATOLIK", "KATHOLIK"], p=[0.5, 0.35, 0.15]))
    name = " ".join(dict.fromkeys(parts))  # no repeated word
    return name, agama


def make_birth_date(rng: np.random.Generator, min_age: int, max_age: int) -> date:
    """A birth date whose age on voting day lies in [min_age, max_age]; edge days are over-sampled."""
    latest = _add_years(VOTING_DAY, -min_age)  # exactly min_age on voting day
    earliest = _add_years(VOTING_DAY, -(max_age + 1)) + timedelta(days=1)
    r = rng.random()
    if r < 0.07:
        return latest
    if r < 0.10:
        return earliest
    return earliest + timedelta(days=int(rng.integers((latest - earliest).days + 1)))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + years, day=28)


def make_address(rng: np.random.Generator) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.35:
        alamat = f"JL. {_choice(rng, _STREETS)} NO. {int(rng.integers(1, 180))}"
    elif kind < 0.55:
        alamat = f"DUSUN {_choice(rng, _DUSUN)}"
    elif kind < 0.75:
        alamat = f"DSN. {_choice(rng, _DUSUN)}"
    elif kind < 0.88:
        alamat = f"PERUM {_choice(rng, _PERUM)} BLOK {'ABCDEFG'[int(rng.integers(7))]}-{int(rng.integers(1, 40))}"
    else:
        alamat = f"JL. {_choice(rng, _STREETS)} GG. {int(rng.integers(1, 12))}"
    rt_rw = f"{int(rng.integers(1, 16)):03d}/{int(rng.integers(1, 20)):03d}"
    return alamat, rt_rw


def make_person(rng: np.random.Generator, *, min_age: int = 17, max_age: int = 55, desa: Desa | None = None) -> Person:
    female = bool(rng.random() < 0.5)
    nama, agama = make_name(rng, female)
    born = make_birth_date(rng, min_age, max_age)
    desa = desa or pick_desa(rng)
    nik_desa = desa if rng.random() < 0.85 else pick_other_desa(rng, desa)
    alamat, rt_rw = make_address(rng)
    age = age_on(born, VOTING_DAY)
    if age < 23:
        status = "BELUM KAWIN"
        pekerjaan = "PELAJAR/MAHASISWA" if rng.random() < 0.6 else _choice(rng, PEKERJAAN)
    else:
        status = str(rng.choice(["KAWIN", "BELUM KAWIN", "CERAI HIDUP", "CERAI MATI", "KAWIN TERCATAT"],
                                p=[0.62, 0.25, 0.06, 0.04, 0.03]))
        pekerjaan = _choice(rng, PEKERJAAN)
    places = list(birthplace_names())
    tempat = desa.kab_short if rng.random() < 0.7 else _choice(rng, places)
    father, _ = make_name(rng, False)
    prefix = ""
    if age > 35 and agama == "ISLAM" and rng.random() < 0.2:
        prefix = "HJ." if female else "H."
    suffix = ""
    if age > 24 and rng.random() < 0.25:
        suffix = _choice(rng, ["S.Pd.", "S.E.", "S.Kom.", "A.Md.", "S.H.", "S.Pd.I."])
    return Person(
        nama=nama, jenis_kelamin="PEREMPUAN" if female else "LAKI-LAKI", tanggal_lahir=born, tempat_lahir=tempat,
        desa=desa, nik_desa=nik_desa, alamat=alamat, rt_rw=rt_rw, agama=agama, status_perkawinan=status,
        pekerjaan=pekerjaan, golongan_darah=str(rng.choice(["A", "B", "AB", "O", "-"], p=[.22, .25, .08, .3, .15])),
        nik_serial=int(rng.integers(1, 3000)), nama_ortu=father, title_prefix=prefix, title_suffix=suffix,
    )


def other_person(rng: np.random.Generator, p: Person) -> Person:
    """Someone else (for an ijazah that belongs to another person): other name, other birth date."""
    q = make_person(rng, min_age=17, max_age=55, desa=p.desa)
    if q.tanggal_lahir == p.tanggal_lahir:
        q = replace(q, tanggal_lahir=q.tanggal_lahir - timedelta(days=400))
    return q


def name_variant(rng: np.random.Generator, nama: str) -> str:
    """MUHAMMAD <-> MOH./MOCH./M. and ABDUL <-> ABD. spellings seen on school and health documents."""
    words = nama.split()
    if words[0] == "MUHAMMAD":
        words[0] = _choice(rng, ["MOH.", "MOCH.", "M.", "MOHAMMAD", "MUHAMAD"])
    elif words[0] in ("MOH.", "MOCH."):
        words[0] = "MUHAMMAD"
    elif words[0] == "ABDUL":
        words[0] = "ABD."
    return " ".join(words)
