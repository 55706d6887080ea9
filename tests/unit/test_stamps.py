"""The letter date under a stamp (pipeline/reading/common/stamps.py), with the real engine."""

from __future__ import annotations

from datetime import date

import cv2
import numpy as np

from models.contract import DocType
from pipeline.context import FieldValue, OcrPage
from pipeline.nlp import build_nlp
from pipeline.preprocess.enhance import to_text_gray
from pipeline.reading.common.stamps import UnderStamps, _stamps, reread_under_stamps
from pipeline.reading.protocol import Look
from pipeline.reading.surat_sehat import READER
from tests.unit.ocr_fakes import tools
from tests.unit.synth import render_lines

LINES = ["Surat keterangan ini dibuat untuk pendaftaran calon anggota KPPS.", "",
         "Papar, 01/10/2023", "Dokter yang memeriksa,", "", "dr. Purnomo Kurniawan"]


def _reread(fields: dict[str, FieldValue], gray: np.ndarray, colour: np.ndarray, engine) -> bool:
    """The surat sehat reader's own stamp step, run on a page whose first reading gave `fields`."""
    step = next(s for s in READER.second_looks if isinstance(s, UnderStamps))
    look = Look(DocType.SURAT_SEHAT, fields, OcrPage([], gray.shape[1], gray.shape[0]), gray, colour, np.eye(3),
                tools(build_nlp(), engine))
    return reread_under_stamps(look, step.key, step.parse, engine)


def _stamped_letter() -> np.ndarray:
    page = cv2.cvtColor(cv2.copyMakeBorder(render_lines(LINES, size=30), 40, 200, 300, 300, cv2.BORDER_CONSTANT,
                                           value=255), cv2.COLOR_GRAY2BGR)
    centre = (300 + 20 + 250, 40 + 20 + 2 * 48 + 15)  # over "01/10/2023"
    stamp = np.full_like(page, 255)  # a blue stamp (BGR): two rings and a word, inked over the print
    cv2.circle(stamp, centre, 95, (170, 60, 60), 5)
    cv2.circle(stamp, centre, 70, (170, 60, 60), 2)
    cv2.putText(stamp, "PUSKESMAS", (centre[0] - 62, centre[1] - 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (170, 60, 60), 2)
    return np.minimum(page, stamp)


def test_stamp_sized_blots_are_found_and_text_is_not() -> None:
    page = _stamped_letter()
    hsv = cv2.cvtColor(page, cv2.COLOR_BGR2HSV)
    ink = ((hsv[..., 1] > 50) & (hsv[..., 2] > 60)).astype(np.uint8) * 255
    boxes = _stamps(ink, page.shape[1])
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    assert 180 <= w <= 210 and 180 <= h <= 210


def test_the_date_under_a_stamp_is_read_with_the_stamp_whitened(engine) -> None:
    """GIVEN a letter whose date line is crossed by a blue stamp and no letter date from the first pass
    THEN the band around the stamp is read with the stamp whitened and the date found; a black-and-white
    page (no colour to tell a stamp by) or a date already read well is left alone."""
    page = _stamped_letter()
    gray = to_text_gray(page)
    fields: dict[str, FieldValue] = {}
    assert _reread(fields, gray, page, engine)
    assert fields["tanggal_surat"].value == date(2023, 10, 1)

    assert not _reread({}, gray, gray, engine)
    good = {"tanggal_surat": FieldValue(date(2023, 10, 2), 0.9, None, "x")}
    assert not _reread(good, gray, page, engine)
    assert good["tanggal_surat"].value == date(2023, 10, 2)
