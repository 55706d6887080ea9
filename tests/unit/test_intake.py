"""Intake of hostile files: every bad-input kind becomes a FileError with a reason code.

All fixtures are made in code (PIL images, hand-written PDFs and zips); no binaries are committed.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import struct
import time
import uuid
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from config.settings import Limits
from models.contract import Registration
from pipeline import decode_guard, intake
from pipeline.decode import decode_file
from pipeline.errors import FILE_REASONS, FileRejected, InputError, RegistrationInvalid, RegistrationMissing
from pipeline.sniff import probe_jpeg, probe_png, sniff

LIMITS = Limits.model_construct()  # the documented defaults, whatever the environment says


def limits(**over: object) -> Limits:
    return LIMITS.model_copy(update=over)


def load(name: str, data: bytes, lim: Limits = LIMITS):
    return intake.load_pages(name, data, sha256="0" * 64, limits=lim, guarded=False)


def only_error(name: str, data: bytes, lim: Limits = LIMITS) -> str:
    pages, errors = load(name, data, lim)
    assert pages == []
    assert len(errors) == 1 and errors[0].file == name
    assert errors[0].message == FILE_REASONS[errors[0].error]
    return errors[0].error


# ---- fixtures made in code ---------------------------------------------------------------------


def picture(w: int = 64, h: int = 48, mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    return Image.fromarray(arr, "RGB").convert(mode)


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims width x height (8-bit RGB)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
_ID0 = bytes(range(16))


def rc4(key: bytes, data: bytes) -> bytes:
    box, j = list(range(256)), 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def rc4_security(user_password: str) -> tuple[bytes, bytes, bytes]:
    """(file key, /O, /U) of the standard security handler, revision 2 (40-bit RC4), PDF 1.7 sec. 7.6.3."""
    padded = (user_password.encode("latin-1") + _PAD)[:32]
    owner = rc4(hashlib.md5((b"berkas-owner" + _PAD)[:32]).digest()[:5], padded)
    key = hashlib.md5(padded + owner + struct.pack("<i", -44) + _ID0).digest()[:5]
    return key, owner, rc4(key, _PAD)


def pdf_bytes(
    pages: list[str], *, mediabox: str = "0 0 595 842", encrypt: str | None = None, rotate: int = 0,
    image: tuple[int, int] | None = None,
) -> bytes:
    """A minimal PDF written by hand: one content stream per page, Helvetica as /F1, and an 8-bit
    gray image XObject /Im1 of `image` = (width, height) pixels (its data: a few compressed rows).
    `encrypt` is a user password ("" = readable by anyone, printing/copying restricted by /P)."""
    security = rc4_security(encrypt) if encrypt is not None else None

    def stream(number: int, data: bytes) -> bytes:
        if security:
            data = rc4(hashlib.md5(security[0] + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10], data)
        return data

    objs: list[bytes] = [b"", b""]  # 1: catalog, 2: pages (filled below)
    kids = []
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")  # 3
    iw, ih = image or (1, 1)
    pixels = stream(4, zlib.compress(b"\x80" * iw * min(ih, 4)))
    objs.append(  # 4
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8"
        b" /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (iw, ih, len(pixels), pixels)
    )
    for content in pages:
        data = stream(len(objs) + 1, content.encode("latin-1"))
        objs.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /Rotate %d /MediaBox [%s] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> >>"
            % (rotate, mediabox.encode(), len(objs))
        )
        kids.append(b"%d 0 R" % len(objs))
    objs[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    trailer_extra = b""
    if security:
        objs.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>" % (security[1].hex().encode(), security[2].hex().encode())
        )
        trailer_extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objs), _ID0.hex().encode(), _ID0.hex().encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, trailer_extra, xref)
    return bytes(out)


TEXT_PAGE = "BT /F1 24 Tf 72 700 Td (NIK : 3575024506990001) Tj ET BT /F1 24 Tf 72 650 Td (Nama : BUDI SANTOSO) Tj ET"
IMAGE_PAGE = "0 0 1 rg 100 100 200 300 re f"


# ---- type detection and simple rejections -------------------------------------------------------


def test_zero_byte_file_is_empty():
    assert only_error("IMG_0001.jpg", b"") == "FILE_EMPTY"


def test_logs_name_files_by_hash_not_by_name(caplog):
    caplog.set_level("DEBUG", logger="pipeline")
    pages, errors = intake.load_pages("KTP SITI AMINAH.jpg", b"", sha256="ab" * 32, limits=LIMITS, guarded=False)
    assert errors[0].file == "KTP SITI AMINAH.jpg"  # the result names the file for the verifier
    assert "sha256:abababababab" in caplog.text and "SITI" not in caplog.text


def test_file_over_the_size_limit_is_too_large():
    assert only_error("scan.png", encode(picture(), "PNG"), limits(max_file_bytes=100)) == "FILE_TOO_LARGE"


def test_text_named_jpg_is_type_mismatch_but_named_txt_is_unsupported():
    text = b"ini bukan gambar, hanya teks biasa\n"
    assert sniff(text) == "text"
    assert only_error("ktp.jpg", text) == "FILE_TYPE_MISMATCH"
    assert only_error("catatan.txt", text) == "FILE_UNSUPPORTED"


@pytest.mark.parametrize("fmt", ["GIF", "BMP"])
def test_other_image_formats_are_unsupported(fmt):
    assert only_error(f"foto.{fmt.lower()}", encode(picture(), fmt)) == "FILE_UNSUPPORTED"


def test_docx_zip_bytes_are_unsupported():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert only_error("ijazah.docx", buf.getvalue()) == "FILE_UNSUPPORTED"


def test_misnamed_supported_content_is_read_by_its_content():
    pages, errors = load("IMG_2031.pdf", encode(picture(50, 30), "PNG"))
    assert errors == [] and len(pages) == 1
    assert pages[0].image.shape == (30, 50, 3) and pages[0].kind == "image"


# ---- images ------------------------------------------------------------------------------------


def test_jpeg_decodes_to_bgr_uint8_with_its_dpi():
    img = Image.new("RGB", (40, 30), (255, 0, 0))
    pages, errors = load("merah.jpg", encode(img, "JPEG", quality=95, dpi=(300, 300)))
    assert errors == []
    arr = pages[0].image
    assert arr.dtype == np.uint8 and arr.shape == (30, 40, 3)
    assert arr[..., 2].min() > 240 and arr[..., 0].max() < 15  # red lands in channel 2 (BGR)
    assert pages[0].dpi == pytest.approx(300, abs=1)
    assert pages[0].page == 1 and pages[0].sha256 == "0" * 64


def test_truncated_jpeg_is_rejected_not_half_decoded():
    data = encode(picture(200, 150), "JPEG", quality=90)
    assert probe_jpeg(data).complete
    assert not probe_jpeg(data[: len(data) // 2]).complete
    assert only_error("IMG_0002.jpg", data[: len(data) // 2]) == "FILE_TRUNCATED"


def test_jpeg_missing_only_its_end_marker_is_truncated():
    data = encode(picture(), "JPEG")
    assert data.endswith(b"\xff\xd9")
    assert only_error("scan.jpg", data[:-2]) == "FILE_TRUNCATED"


def test_truncated_png_is_rejected():
    data = encode(picture(200, 150), "PNG")
    assert probe_png(data).complete
    assert only_error("scan.png", data[: len(data) - 30]) == "FILE_TRUNCATED"


def test_png_with_damaged_pixel_data_is_an_error_not_an_image():
    data = bytearray(encode(picture(200, 150), "PNG"))
    idat = data.find(b"IDAT")
    data[idat + 40 : idat + 200] = b"\x00" * 160  # IEND still present, compressed data destroyed
    code = only_error("scan.png", bytes(data))
    assert code in ("FILE_CORRUPT", "FILE_TRUNCATED")


def test_png_bomb_header_is_rejected_before_decoding():
    bomb = png_claiming(20000, 20000)
    assert len(bomb) < 200
    assert probe_png(bomb).pixels == 400_000_000
    assert only_error("ktp.png", bomb) == "IMAGE_TOO_LARGE"


def test_jpeg_over_max_pixels_is_rejected_from_its_header():
    data = encode(picture(300, 200), "JPEG")
    assert only_error("scan.jpg", data, limits(max_pixels=300 * 200 - 1)) == "IMAGE_TOO_LARGE"
    assert load("scan.jpg", data, limits(max_pixels=300 * 200))[0]


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((0, 255, 0), (0, 0, 10, 20))  # green stripe on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    pages, errors = load("hp.jpg", encode(img, "JPEG", exif=exif.tobytes(), quality=95))
    assert errors == []
    arr = pages[0].image
    assert arr.shape == (40, 20, 3)
    assert arr[2, 10, 1] > 200 and arr[-3, 10, 0] > 200  # green now on top, blue at the bottom


def test_sixteen_bit_grayscale_is_scaled_to_eight_bit():
    arr16 = np.full((10, 12), 65535, dtype=np.uint16)
    arr16[:, :6] = 32768
    img = Image.fromarray(arr16)
    assert img.mode.startswith("I;16")
    pages, errors = load("scan16.png", encode(img, "PNG"))
    assert errors == []
    out = pages[0].image
    assert out.dtype == np.uint8 and out.shape == (10, 12, 3)
    assert out[0, 11].tolist() == [255, 255, 255] and 120 <= out[0, 0, 0] <= 135


def test_palette_with_transparency_and_alpha_land_on_white():
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (0, 0, 4, 8))
    for name, img in [("rgba.png", rgba), ("pal.png", rgba.convert("P"))]:
        pages, errors = load(name, encode(img, "PNG"))
        assert errors == [], name
        out = pages[0].image
        assert out[0, 7].tolist() == [255, 255, 255] and out[0, 0].tolist() == [0, 0, 0], name


def test_cmyk_jpeg_is_converted():
    img = Image.new("CMYK", (16, 16), (0, 0, 0, 255))  # full black ink
    pages, errors = load("cmyk.jpg", encode(img, "JPEG"))
    assert errors == []
    assert pages[0].image.shape == (16, 16, 3) and pages[0].image.max() < 60


def test_multipage_tiff_gives_one_page_per_frame():
    frames = [picture(30, 20), picture(25, 40), picture(10, 10)]
    data = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    pages, errors = load("scan.tif", data)
    assert errors == []
    assert [p.page for p in pages] == [1, 2, 3]
    assert [p.image.shape[:2] for p in pages] == [(20, 30), (40, 25), (10, 10)]
    assert np.array_equal(pages[1].image[..., ::-1], np.asarray(frames[1]))


def test_tiff_frame_over_max_pixels_is_a_page_error_and_the_rest_is_kept():
    frames = [picture(30, 20), picture(300, 200), picture(20, 20)]
    data = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    pages, errors = load("scan.tiff", data, limits(max_pixels=10_000))
    assert [p.page for p in pages] == [1, 3]
    assert [(e.page, e.error) for e in errors] == [(2, "IMAGE_TOO_LARGE")]
    assert only_error("scan.tiff", encode(frames[1], "TIFF"), limits(max_pixels=10_000)) == "IMAGE_TOO_LARGE"


def test_tiff_page_limit_and_total_pixel_budget():
    frames = [picture(40, 40) for _ in range(5)]
    data = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    pages, errors = load("scan.tif", data, limits(max_pages=3))
    assert [p.page for p in pages] == [1, 2, 3] and [e.error for e in errors] == ["TOO_MANY_PAGES"]
    assert "5 halaman" in errors[0].message
    # each frame fits max_pixels, but together they may use only 4 x max_pixels
    pages, errors = load("scan.tif", data, limits(max_pixels=1600))
    assert [p.page for p in pages] == [1, 2, 3, 4] and [(e.page, e.error) for e in errors] == [(5, "IMAGE_TOO_LARGE")]


# ---- PDFs --------------------------------------------------------------------------------------


def test_corrupt_pdf_is_rejected():
    assert only_error("scan0003.pdf", b"%PDF-1.4\n" + os.urandom(64) + b"\n%%EOF") == "FILE_CORRUPT"


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_cut_off_pdf_is_truncated_not_repaired(fraction):
    data = pdf_bytes([TEXT_PAGE, IMAGE_PAGE])
    assert only_error("scan.pdf", data[: int(len(data) * fraction)]) == "FILE_TRUNCATED"
    assert load("scan.pdf", data + b"\x00" * 10)[1] == []  # padding after %%EOF is fine


def test_damaged_pdf_read_in_part_carries_a_warning_saying_what_was_recovered():
    """Issue 13 finding 8: a PDF whose cross-reference table is broken is rebuilt by the readers and read without
    a word; the result must say the file was damaged and what was recovered."""
    data = pdf_bytes([TEXT_PAGE, TEXT_PAGE])
    assert load("scan.pdf", data)[1] == []  # intact: no warning
    at = data.rindex(b"startxref")
    broken = data[:at] + b"startxref\n17\n%%EOF\n"  # points into the middle of an object
    pages, errors = load("scan.pdf", broken, limits(render_dpi=72))
    assert [p.page for p in pages] == [1, 2] and pages[0].text_layer is not None
    assert [(e.file, e.error) for e in errors] == [("scan.pdf", "FILE_DAMAGED")]
    assert "2 dari 2 halaman terbaca" in errors[0].message and "teks tertanam" in errors[0].message
    assert "xref" in errors[0].message


def test_encrypted_pdf_is_rejected():
    assert only_error("ijazah.pdf", pdf_bytes([TEXT_PAGE], encrypt="rahasia")) == "FILE_ENCRYPTED"


def test_pdf_with_only_owner_restrictions_is_read_with_its_text():
    pages, errors = load("ijazah.pdf", pdf_bytes([TEXT_PAGE], encrypt=""), limits(render_dpi=72))
    assert errors == [] and pages[0].text_layer is not None
    assert pages[0].text_layer.text().splitlines()[0] == "NIK : 3575024506990001"


def test_text_layer_pdf_gives_words_in_image_pixels_and_an_image():
    pages, errors = load("surat.pdf", pdf_bytes([TEXT_PAGE]))
    assert errors == []
    (page,) = pages
    assert page.kind == "pdf" and page.dpi == pytest.approx(200)
    h, w = page.image.shape[:2]
    assert (w, h) == (round(595 * 200 / 72), round(842 * 200 / 72))
    layer = page.text_layer
    assert layer is not None and layer.source == "text_layer" and (layer.width, layer.height) == (w, h)
    assert layer.text().splitlines() == ["NIK : 3575024506990001", "Nama : BUDI SANTOSO"]
    nik = next(word for word in layer.words if word.text == "NIK")
    x, y, bw, bh = nik.box
    assert abs(x - 200) <= 3  # 72 pt from the left at 200 dpi
    baseline_px = (842 - 700) * 200 / 72
    assert y < baseline_px < y + bh + 3 and 30 < bh < 100
    # the words sit on dark pixels of the rendered image
    assert page.image[y : y + bh, x : x + bw].min() < 100


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_pdf_page_text_boxes_follow_the_rendered_image(rotate):
    pages, errors = load("surat.pdf", pdf_bytes([TEXT_PAGE], rotate=rotate), limits(render_dpi=100))
    assert errors == []
    page = pages[0]
    h, w = page.image.shape[:2]
    assert (w > h) == (rotate in (90, 270))
    assert (page.text_layer.width, page.text_layer.height) == (w, h)
    for word in page.text_layer.words:
        x, y, bw, bh = word.box
        assert 0 <= x and x + bw <= w and 0 <= y and y + bh <= h
        assert page.image[y : y + bh, x : x + bw].min() < 100, word  # the glyphs are inside the box


def test_image_only_pdf_has_no_text_layer_but_an_image():
    pages, errors = load("scan.pdf", pdf_bytes([IMAGE_PAGE]))
    assert errors == [] and pages[0].text_layer is None
    img = pages[0].image
    y = img.shape[0] - round(250 * 200 / 72)
    assert img[y, round(200 * 200 / 72)].tolist() == [255, 0, 0]  # blue fill, BGR


def test_multipage_pdf_and_the_page_limit():
    data = pdf_bytes([TEXT_PAGE, IMAGE_PAGE, TEXT_PAGE])
    pages, errors = load("scan.pdf", data, limits(render_dpi=50))
    assert errors == [] and [p.page for p in pages] == [1, 2, 3]
    assert [p.text_layer is not None for p in pages] == [True, False, True]
    pages, errors = load("scan.pdf", data, limits(render_dpi=50, max_pages=2))
    assert [p.page for p in pages] == [1, 2]
    assert [e.error for e in errors] == ["TOO_MANY_PAGES"]
    assert "3 halaman" in errors[0].message


def test_many_pdf_pages_share_the_total_pixel_budget():
    pages, errors = load("scan.pdf", pdf_bytes([IMAGE_PAGE] * 8), limits(max_pixels=400_000))
    assert errors == [] and len(pages) == 8
    assert all(p.image.shape[0] * p.image.shape[1] <= 4 * 400_000 / 8 for p in pages)
    assert sum(p.image.shape[0] * p.image.shape[1] for p in pages) > 0.9 * 4 * 400_000


def test_page_with_a_huge_embedded_image_is_rejected_before_rendering():
    drawn = "q 400 0 0 300 50 50 cm /Im1 Do Q"
    pages, errors = load("scan.pdf", pdf_bytes([drawn, TEXT_PAGE], image=(20000, 20000)), limits(render_dpi=50))
    assert [p.page for p in pages] == [2]
    assert [(e.page, e.error) for e in errors] == [(1, "IMAGE_TOO_LARGE")]
    pages, errors = load("scan.pdf", pdf_bytes([drawn], image=(2000, 1500)), limits(render_dpi=50))
    assert errors == [] and pages[0].image.min() < 200  # an ordinary embedded scan is drawn


def test_huge_mediabox_is_rendered_within_max_pixels():
    pages, errors = load("poster.pdf", pdf_bytes([TEXT_PAGE], mediabox="0 0 14400 14400"), limits(max_pixels=1_000_000))
    assert errors == []
    h, w = pages[0].image.shape[:2]
    assert h * w <= 1_000_000 and h * w > 900_000
    assert pages[0].dpi < 200
    assert pages[0].text_layer is not None and pages[0].text_layer.width == w


# ---- fuzzing: damaged files never escape as exceptions -----------------------------------------

_SEEDS = {
    "a.jpg": encode(picture(40, 30), "JPEG"),
    "a.png": encode(picture(40, 30), "PNG"),
    "a.tif": encode(picture(40, 30), "TIFF", save_all=True, append_images=[picture(20, 20)]),
    "a.pdf": pdf_bytes([TEXT_PAGE, IMAGE_PAGE]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(_SEEDS)),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)), max_size=4),
    cut=st.floats(0.05, 1.0),
)
def test_damaged_files_give_pages_or_known_errors(name, edits, cut):
    data = bytearray(_SEEDS[name])
    for where, junk in edits:
        at = int(where * len(data))
        data[at : at + len(junk)] = junk
    data = bytes(data[: max(1, int(cut * len(data)))])
    try:  # the decoder itself: damage must surface as FileRejected, not through load_pages' safety net
        pages, errors = decode_file(name, data, "0" * 64, limits(render_dpi=30))
    except FileRejected as e:
        pages, errors = [], [intake.file_error(name, e.code)]
    assert pages or errors
    assert {e.error for e in errors} <= set(FILE_REASONS)
    for page in pages:
        assert page.image.dtype == np.uint8 and page.image.ndim == 3 and page.image.shape[2] == 3


# ---- the guarded decoder -----------------------------------------------------------------------


def _test_decoder(name, data, sha256, lim):
    """Decoder run in the guard child: special payloads hang, crash or over-allocate."""
    if data == b"HANG":
        time.sleep(120)
    if data == b"CRASH":
        os._exit(3)
    if data == b"GREEDY":
        np.empty(2 * 1024**3, dtype=np.uint8)  # 2 GiB of address space, never touched
    return decode_file(name, data, sha256, lim)


@pytest.fixture(scope="module")
def guard():
    with decode_guard.DecodeGuard(memory_bytes=1536 * 1024**2, decoder=_test_decoder) as g:
        yield g


def guarded(guard, name, data, lim=LIMITS):
    return decode_guard.decode_guarded(name, data, sha256="0" * 64, limits=lim, guard=guard)


def test_guard_gives_the_same_pages_as_in_process(guard):
    data = encode(picture(80, 60), "JPEG")
    pages, errors = guarded(guard, "a.jpg", data)
    local, _ = load("a.jpg", data)
    assert errors == [] and np.array_equal(pages[0].image, local[0].image)
    assert pages[0].image.flags.writeable and pages[0].image.dtype == np.uint8
    pages, errors = guarded(guard, "s.pdf", pdf_bytes([TEXT_PAGE]), limits(render_dpi=72))
    assert errors == [] and pages[0].text_layer is not None
    assert guarded(guard, "e.jpg", b"")[1][0].error == "FILE_EMPTY"


def test_guard_times_out_restarts_and_keeps_working(guard):
    before = guard.restarts
    pages, errors = guarded(guard, "bom.pdf", b"HANG", limits(decode_seconds=0.5))
    assert pages == [] and [e.error for e in errors] == ["DECODE_TIMEOUT"]
    assert guard.restarts == before + 1
    assert guarded(guard, "ok.png", encode(picture(), "PNG"))[0]


def test_guard_survives_a_crashing_decoder(guard):
    assert [e.error for e in guarded(guard, "x.jpg", b"CRASH")[1]] == ["FILE_CORRUPT"]
    assert guarded(guard, "ok.png", encode(picture(), "PNG"))[0]


def test_guard_memory_limit_turns_a_huge_allocation_into_an_error(guard):
    assert [e.error for e in guarded(guard, "x.jpg", b"GREEDY")[1]] == ["IMAGE_TOO_LARGE"]
    assert guarded(guard, "ok.png", encode(picture(), "PNG"))[0]


# ---- registration.json -------------------------------------------------------------------------

REG = {
    "dossier_id": "D-0001", "nama": "SITI AMINAH", "nik": "3575024506990001", "tanggal_lahir": "1999-06-05",
    "wilayah": {"provinsi": "JAWA TIMUR", "kabupaten_kota": "KOTA PASURUAN", "kecamatan": "PURWOREJO",
                "desa_kelurahan": "KEBONAGUNG", "tps": "003"},
}


def test_registration_is_read():
    reg = intake.read_registration(b"\xef\xbb\xbf" + json.dumps(REG).encode(), folder_name="D-0001")
    assert isinstance(reg, Registration) and reg.wilayah.tps == "003" and str(reg.tanggal_lahir) == "1999-06-05"


def test_missing_registration_raises_missing():
    with pytest.raises(RegistrationMissing):
        intake.read_registration(None, folder_name="D-0001")


@pytest.mark.parametrize(
    "data",
    [
        b"{\"dossier_id\": \"D-0001\", ",
        b"[1, 2]",
        b"\xff\xfe\x00garbage",
        json.dumps({k: v for k, v in REG.items() if k != "wilayah"}).encode(),
        json.dumps({**REG, "tanggal_lahir": "31-02-1999"}).encode(),
        json.dumps({**REG, "dossier_id": "../../etc"}).encode(),
        json.dumps({**REG, "dossier_id": "D-0002"}).encode(),
        b" " * (intake.MAX_REGISTRATION_BYTES + 1),
    ],
    ids=["cut", "array", "binary", "no-wilayah", "bad-date", "unsafe-id", "other-id", "huge"],
)
def test_malformed_registration_raises_invalid_without_personal_data(data):
    with pytest.raises(RegistrationInvalid) as info:
        intake.read_registration(data, folder_name="D-0001")
    assert info.value.code == "REGISTRATION_INVALID"
    for value in ("3575024506990001", "SITI", "31-02-1999"):
        assert value not in str(info.value)


# ---- folders and zips --------------------------------------------------------------------------


def write_dossier(folder: Path, dossier_id: str) -> None:
    folder.mkdir(parents=True)
    (folder / "registration.json").write_text(json.dumps({**REG, "dossier_id": dossier_id}))
    (folder / "IMG_2031.jpg").write_bytes(encode(picture(), "JPEG"))


def zip_of(entries: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in entries.items():
            zf.writestr(name, body)
    return path


def test_folder_layouts(tmp_path):
    write_dossier(tmp_path / "input" / "D-0001", "D-0001")
    write_dossier(tmp_path / "input" / "D-0002", "D-0002")
    (tmp_path / "input" / ".DS_Store").write_bytes(b"x")
    found = list(intake.iter_dossier_folders(tmp_path / "input"))
    assert [d for d, _ in found] == ["D-0001", "D-0002"]
    assert list(intake.iter_dossier_folders(tmp_path)) == found  # a single wrapper folder is descended
    assert list(intake.iter_dossier_folders(tmp_path / "input" / "D-0002")) == [found[1]]


def test_zip_of_the_input_layout(tmp_path):
    jpg = encode(picture(), "JPEG")
    entries = {f"input/D-000{i}/{n}": b for i in (1, 2) for n, b in
               [("registration.json", json.dumps({**REG, "dossier_id": f"D-000{i}"}).encode()), ("scan.jpg", jpg)]}
    archive = zip_of(entries, tmp_path / "batch.zip")
    seen = []
    for dossier_id, folder in intake.iter_dossier_folders(archive):
        reg = intake.read_registration((folder / "registration.json").read_bytes(), folder_name=dossier_id)
        files, errors = intake.scan_files(folder, limits=LIMITS)
        assert errors == [] and [n for n, _ in files] == ["scan.jpg"] and files[0][1].read_bytes() == jpg
        seen.append((reg.dossier_id, folder))
    assert [d for d, _ in seen] == ["D-0001", "D-0002"]
    assert not seen[0][1].exists()  # the temporary extraction is gone once the iterator ends


@pytest.mark.parametrize("bad_name", ["../berkas-evil-{u}.txt", "/tmp/berkas-evil-{u}.txt", "D-1/../../berkas-evil-{u}.txt"])
def test_zip_path_traversal_is_rejected_before_extraction(tmp_path, bad_name):
    name = bad_name.format(u=uuid.uuid4().hex)
    archive = zip_of({"D-1/registration.json": b"{}", name: b"owned"}, tmp_path / "evil.zip")
    with pytest.raises(InputError) as info:
        list(intake.iter_dossier_folders(archive))
    assert info.value.code == "ARCHIVE_UNSAFE"
    assert not Path("/tmp", Path(name).name).exists()


def test_zip_symlink_member_is_rejected(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("D-1/ktp.jpg")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError) as info_:
        list(intake.iter_dossier_folders(path))
    assert info_.value.code == "ARCHIVE_UNSAFE"


def test_zip_bombs_are_rejected(tmp_path):
    bomb = zip_of({"D-1/scan.pdf": b"\x00" * (20 * 1024**2)}, tmp_path / "bomb.zip")
    with pytest.raises(InputError, match="expands"):
        list(intake.iter_dossier_folders(bomb))
    many = zip_of({f"D-1/{i}.jpg": b"x" for i in range(5)}, tmp_path / "many.zip")
    with pytest.raises(InputError, match="members"):
        list(intake.iter_dossier_folders(many, max_members=4))
    big = zip_of({f"D-1/{i}.jpg": os.urandom(2000) for i in range(3)}, tmp_path / "big.zip")
    with pytest.raises(InputError, match="uncompressed"):
        list(intake.iter_dossier_folders(big, max_total_bytes=5000))
    assert len(list(intake.iter_dossier_folders(big, max_total_bytes=6000))) == 1


def test_not_a_zip_is_invalid(tmp_path):
    path = tmp_path / "batch.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError) as info:
        list(intake.iter_dossier_folders(path))
    assert info.value.code == "ARCHIVE_INVALID"


def test_scan_files_skips_and_flags(tmp_path):
    folder = tmp_path / "D-1"
    write_dossier(folder, "D-1")
    (folder / ".hidden.jpg").write_bytes(b"x")  # a dot-name is a file like any other (a scan named `..ktp.jpg`)
    (folder / ".DS_Store").write_bytes(b"x")  # the operating system's own files are skipped, and listed
    (folder / "big.pdf").write_bytes(b"%PDF-" + b"0" * 200)
    (folder / "link.jpg").symlink_to(folder / "IMG_2031.jpg")
    skipped = []
    files, errors = intake.scan_files(folder, limits=limits(max_file_bytes=150), skipped=skipped, prefix="D-1/")
    assert [n for n, _ in files] == [".hidden.jpg"]  # the JPEG itself is over 150 bytes
    assert sorted((e.file, e.error) for e in errors) == [
        ("IMG_2031.jpg", "FILE_TOO_LARGE"), ("big.pdf", "FILE_TOO_LARGE"), ("link.jpg", "FILE_UNSUPPORTED")]
    assert [(s.path, s.reason) for s in skipped] == [("D-1/.DS_Store", "SYSTEM_FILE")]
    files, errors = intake.scan_files(folder, limits=limits(max_files_per_dossier=1))
    assert [n for n, _ in files] == [".hidden.jpg"]
    assert {e.file: e.error for e in errors} == {"IMG_2031.jpg": "FILE_UNSUPPORTED", "big.pdf": "FILE_UNSUPPORTED",
                                                 "link.jpg": "FILE_UNSUPPORTED"}


def _decode_in_fork(guard, data, out):
    pages, errors = guarded(guard, "fork.png", data)
    out.put((guard._proc.pid, [p.image.shape for p in pages], [e.error for e in errors]))


def test_a_forked_process_gets_its_own_decode_child(guard):
    """GIVEN a guard whose child runs, WHEN the process forks (RQ's work horse) and the fork decodes,
    THEN the fork starts a child of its own and the parent's child keeps serving the parent."""
    data = encode(picture(), "PNG")
    assert guarded(guard, "a.png", data)[0]
    parent_child = guard._proc.pid
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_decode_in_fork, args=(guard, data, out))
    proc.start()
    fork_child, shapes, errors = out.get(timeout=60)
    proc.join(timeout=60)
    assert errors == [] and shapes == [(48, 64, 3)]
    assert fork_child != parent_child
    assert guard._proc.pid == parent_child and guarded(guard, "b.png", data)[0]


def test_load_pages_is_guarded_by_default(guard, monkeypatch):
    monkeypatch.setattr(decode_guard, "_shared", guard)
    pages, errors = intake.load_pages("bom.jpg", b"HANG", sha256="0" * 64, limits=limits(decode_seconds=0.3))
    assert pages == [] and [e.error for e in errors] == ["DECODE_TIMEOUT"]


def test_a_guard_that_cannot_start_falls_back_to_in_process(monkeypatch):
    broken = decode_guard.DecodeGuard()
    monkeypatch.setattr(decode_guard, "_shared", broken)
    monkeypatch.setattr(decode_guard.sys, "executable", "/bin/false")
    with pytest.raises(decode_guard.GuardUnavailable):
        broken.start()
    pages, errors = intake.load_pages("a.png", encode(picture(), "PNG"), sha256="0" * 64, limits=LIMITS)
    assert errors == [] and pages[0].image.shape == (48, 64, 3)
