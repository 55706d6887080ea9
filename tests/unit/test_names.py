import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.names import compare_names, normalise_name

MATCH = 0.88  # the rules file's default name threshold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Siti Aminah, S.Pd.", "SITI AMINAH"),
        ("HJ. SITI AMINAH", "SITI AMINAH"),
        ("H.AHMAD FAUZI", "AHMAD FAUZI"),
        ("Dr. Ir. BUDI SANTOSO, M.M.", "BUDI SANTOSO"),
        ("NUR HIDAYAH, A.Md.Keb", "NUR HIDAYAH"),
        ("DEWI LESTARI, S.Tr.Keb.", "DEWI LESTARI"),
        ("RIZKY PRATAMA S.Kom", "RIZKY PRATAMA"),
        ("MOH. RIZKY", "MUHAMMAD RIZKY"),
        ("MOCHAMMAD RIZKY", "MUHAMMAD RIZKY"),
        ("M. RIZKY", "MUHAMMAD RIZKY"),
        ("B4MBANG 5ANTOSO", "BAMBANG SANTOSO"),
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SITI AMINAH, S.Pd.", "SITI AMINAH"),
        ("H. AHMAD FAUZI", "AHMAD FAUZI"),
        ("HJ. SITI AMINAH", "SITI AMINAH"),
        ("MOH. RIZKY PRATAMA", "MUHAMMAD RIZKY PRATAMA"),
        ("MUHAMMAD RIZKY PRATAMA", "MOCH RIZKY PRATAMA"),
        ("ABDUL RAHMAN", "ABDULRAHMAN"),
        ("ABD. RAHMAN HAKIM", "ABDUL RAHMAN HAKIM"),
        ("SOEKARNO PUTRA", "SUKARNO PUTRA"),
        ("ABDULLAH", "ABDULAH"),
        ("SITI AMINAH", "SITl AMINAH"),  # OCR l for I
        ("AMINAH SITI", "SITI AMINAH"),
        ("SITI NUR AMINAH", "SITI AMINAH"),  # middle name left out
        ("R. AYU LESTARI", "RADEN AYU LESTARI"),  # initial
    ],
)
def test_same_person(a, b):
    assert compare_names(a, b).score >= MATCH
    assert compare_names(b, a).score >= MATCH


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SITI AMINAH", "DEWI LESTARI"),
        ("AHMAD FAUZI", "AHMAD FAUZAN"),
        ("BUDI SANTOSO", "BUDI HARTONO"),
        ("SITI", "SITI AMINAH"),
    ],
)
def test_different_people(a, b):
    assert compare_names(a, b).score < MATCH


def test_exact_is_one_and_empty_is_zero():
    assert compare_names("EKA PUTRI", "EKA PUTRI").score == 1.0
    assert compare_names("EKA PUTRI", None).score == 0.0
    assert compare_names("", "").score == 0.0


_WORDS = ["SITI", "AMINAH", "MUHAMMAD", "RIZKY", "ABDUL", "RAHMAN", "DEWI", "LESTARI", "BUDI", "SANTOSO", "M.", "R."]


@settings(deadline=None)  # no timing asserts: the machine is shared
@given(a=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4), b=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4))
def test_symmetric(a, b):
    assert compare_names(" ".join(a), " ".join(b)).score == compare_names(" ".join(b), " ".join(a)).score


@settings(deadline=None)  # no timing asserts: the machine is shared
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4))
def test_normalise_is_idempotent_and_self_match_is_one(words):
    name = " ".join(words)
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert compare_names(name, name).score == 1.0


def test_q_read_as_o_still_matches():
    """Tesseract often prints O for Q in capitals; the same person must not become a NAME_MISMATCH."""
    assert compare_names("SITI QOMARIYAH", "SITI OOMARIYAH").score == 1.0
    assert compare_names("SITI QOMARIYAH", "SITI MARIYAM").score < 0.88
