"""PP-OCR text detection and recognition on ONNX Runtime: the neural engine beside tesseract.

The models are the ones the `rapidocr` wheel ships (PP-OCRv6 small detection and recognition, the PP-OCR mobile
0/180-degree line classifier); nothing is downloaded at run time. Which package and why: docs/ocr.md ("Neural
engine"). rapidocr does the detection (DB model, its resizing and box post-processing); the line classifier and
the recogniser run on our own sessions, so that recognition can be constrained to a whitelist (the same
`whitelist` tesseract takes) and word boxes come from the recogniser's character positions.

One intra-op and one inter-op thread per session: Berkas runs one process per core. Build the engine once per
process (`pipeline.ocr.factory.make_neural_engine`); it is not thread-safe.

ONNX Runtime (>= 1.29 on Linux) sends usage telemetry to Microsoft and keeps a device id under ~/.cache unless
ORT_DISABLE_TELEMETRY=1 is set before its first session; importing this module sets it (a worker that reads
personal data makes no outbound connection; docs/ocr.md).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.context import OcrPage, Word
from pipeline.errors import EngineMissing
from pipeline.filehash import sha256_file

log = logging.getLogger(__name__)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is first used; see the docstring

PACKAGE = "rapidocr"
PIP_HINT = 'pip install "rapidocr>=3.10,<3.11" "onnxruntime>=1.32,<2"'
# the model files of rapidocr 3.10.x, by role: name inside rapidocr/models and sha256 (measured with these)
MODELS = {
    "det": ("PP-OCRv6_det_small.onnx", "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"),
    "cls": ("ch_ppocr_mobile_v2.0_cls_mobile.onnx", "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"),
    "rec": ("PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"),
}
LINE_PSMS = {7, 8, 13}  # tesseract's single line / single word / raw line: no detection, the image is one line
REC_HEIGHT = 48  # the recogniser's input height (PP-OCRv6 rec: 3 x 48 x W)
CLS_SHAPE = (48, 192)
CLS_FLIP_CONF = 0.9  # a line is turned 180 degrees only when the classifier is this sure
DET_MAX_SIDE = 1280  # detection on a copy no longer than this: docs/ocr.md (cost, memory, what it finds)
REC_BATCH = 8
# a batch's input width in pixels (lines x padded width) is kept under this: recognition needs ~50 MB of
# working memory per 1,000 px of batch width (one 1,800 px line of an A4 sheet +89 MB, two +163 MB, eight
# 320 px crops +108 MB; onnxruntime peak RSS): a wide line fills a batch by itself
REC_BATCH_PX = 2560


@dataclass(frozen=True)
class ModelFile:
    """One model file the engine loads, and the sha256 it must have (for start-up self-checks)."""

    role: str  # det | cls | rec
    path: Path
    sha256: str


def default_model_dir() -> Path:
    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EngineMissing(f"paket {PACKAGE} tidak terpasang (mesin OCR neural); pasang dengan: {PIP_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def resources(model_dir: Path | None = None) -> list[ModelFile]:
    """The model files of the neural engine with their expected sha256 (files are not read here)."""
    base = model_dir if model_dir is not None else default_model_dir()
    return [ModelFile(role, base / name, digest) for role, (name, digest) in MODELS.items()]


sha256_of = sha256_file  # the model files' check (pipeline/filehash.py)


def check_models(model_dir: Path | None = None, *, verify: bool = True) -> list[ModelFile]:
    """`resources()` after checking that onnxruntime imports and every file is there (and, with `verify`, has
    its sha256); raises EngineMissing with what is missing and how to install it."""
    if find_spec("onnxruntime") is None:
        raise EngineMissing(f"paket onnxruntime tidak terpasang (mesin OCR neural); pasang dengan: {PIP_HINT}")
    files = resources(model_dir)
    for m in files:
        if not m.path.is_file():
            raise EngineMissing(f"model OCR neural '{m.role}' tidak ada: {m.path}; pasang dengan: {PIP_HINT}")
        if verify and sha256_of(m.path) != m.sha256:
            raise EngineMissing(f"model OCR neural '{m.role}' berbeda dari yang diuji (sha256): {m.path}; "
                                f"pasang ulang dengan: {PIP_HINT}")
    return files


def _session(path: Path) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.enable_cpu_mem_arena = False  # the arena keeps the largest page's buffers for the process's life
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A 3-channel uint8 view of a grayscale, BGR or BGRA image."""
    img = image if image.dtype == np.uint8 else np.clip(image, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img


def preload() -> None:
    """Import the neural engine's libraries without building sessions (~0.6 s CPU, mostly rapidocr's config
    parsing): a parent process that forks workers calls this once so that each worker does not import them
    again. Sessions are built in the workers (no native threads exist before the fork). Raises EngineMissing
    as `NeuralEngine` would."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr.main  # noqa: F401
    except ImportError as e:
        raise EngineMissing(f"paket {PACKAGE} tidak dapat dimuat: {e}; pasang dengan: {PIP_HINT}") from e


@dataclass
class LineReading:
    """One recognised line: its text, mean character confidence, and per character (text, conf, x0, x1) with
    x in the line image's pixels."""

    text: str
    conf: float
    chars: list[tuple[str, float, float, float]]


class NeuralEngine:
    """OcrEngine backed by PP-OCR on ONNX Runtime (see the module docstring)."""

    name = "ppocr"

    def __init__(self, *, model_dir: Path | None = None, verify: bool = True, det_max_side: int = DET_MAX_SIDE) -> None:
        """`det_max_side`: detection runs on a copy of the image reduced to this longest side (recognition always
        reads the caller's pixels); `verify`: check the models' sha256 (about 0.1 s)."""
        files = {m.role: m for m in check_models(model_dir, verify=verify)}
        try:
            from rapidocr import RapidOCR
        except ImportError as e:
            raise EngineMissing(f"paket {PACKAGE} tidak dapat dimuat: {e}; pasang dengan: {PIP_HINT}") from e
        self.models = list(files.values())
        # CPU seconds spent per step since the engine was built (for the benchmarks' split by stage)
        self.cpu = {"detect": 0.0, "classify": 0.0, "recognise": 0.0}
        self._detector = RapidOCR(params={
            "Global.use_cls": False, "Global.use_rec": False, "Global.log_level": "error",
            "Global.max_side_len": det_max_side, "Det.model_path": str(files["det"].path),
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        self._cls = _session(files["cls"].path)
        self._rec = _session(files["rec"].path)
        meta = self._rec.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise EngineMissing(f"model OCR neural 'rec' tanpa daftar karakter: {files['rec'].path}; {PIP_HINT}")
        # CTC classes: 0 = blank, then the model's characters, then the space
        self._chars = ["", *meta["character"].splitlines(), " "]
        # no warm-up detection: rapidocr builds the detection session in its constructor, and a warm-up on any
        # image is a full inference at its 736 px minimum side (~0.6 s CPU per process, most processes never
        # read a page whole)

    # ------------------------------------------------------------ the OcrEngine protocol

    def read(self, image: np.ndarray, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        """Words with boxes (image pixels) and confidences 0..1. psm 7, 8 and 13 read the image as one line (no
        detection); any other psm detects lines first. `whitelist` limits recognition to those characters."""
        img = as_bgr(image)
        h, w = img.shape[:2]
        if h < 4 or w < 4:
            return OcrPage(words=[], width=w, height=h, source="neural")
        t0 = time.process_time()
        if psm in LINE_PSMS:
            quads = [np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)]
            crops = [img]
        else:
            quads = self._detect(img)
            crops = [_crop_quad(img, q) for q in quads]
        t1 = time.process_time()
        flipped = self._classify(crops) if psm not in LINE_PSMS else [False] * len(crops)
        crops = [cv2.rotate(c, cv2.ROTATE_180) if f else c for c, f in zip(crops, flipped, strict=True)]
        t2 = time.process_time()
        readings = self._recognise(crops, whitelist)
        self.cpu["detect"] += t1 - t0
        self.cpu["classify"] += t2 - t1
        self.cpu["recognise"] += time.process_time() - t2
        return OcrPage(words=_words(quads, crops, flipped, readings, w, h), width=w, height=h, source="neural")

    def recognize_lines(self, crops: list[np.ndarray], *, whitelist: str | None = None) -> list[tuple[str, float]]:
        """Recognition only: (text, confidence 0..1) of each line image, in order; no detection, no turning."""
        t0 = time.process_time()
        out = [(r.text, r.conf) for r in self._recognise([as_bgr(c) for c in crops], whitelist)]
        self.cpu["recognise"] += time.process_time() - t0
        return out

    # ------------------------------------------------------------ steps

    def _detect(self, img: np.ndarray) -> list[np.ndarray]:
        out = self._detector(img, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(out, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return []
        return [np.asarray(b, np.float32).reshape(4, 2) for b in boxes]

    def _classify(self, crops: list[np.ndarray]) -> list[bool]:
        """True for each crop the classifier finds upside down."""
        flips: list[bool] = []
        ch, cw = CLS_SHAPE
        for i in range(0, len(crops), REC_BATCH):
            batch = np.stack([_normalise(c, ch, cw, cw / ch) for c in crops[i : i + REC_BATCH]])
            probs = self._cls.run(None, {self._cls.get_inputs()[0].name: batch})[0]
            flips.extend(bool(p[1] > CLS_FLIP_CONF and p[1] > p[0]) for p in probs)
        return flips

    def _recognise(self, crops: list[np.ndarray], whitelist: str | None) -> list[LineReading]:
        out: list[LineReading | None] = [None] * len(crops)
        allowed = self._allowed(whitelist)
        order = np.argsort([c.shape[1] / max(1, c.shape[0]) for c in crops])  # similar widths batch together
        name = self._rec.get_inputs()[0].name
        for idx in _batches([crops[k].shape[1] / max(1, crops[k].shape[0]) for k in order], order):
            ratios = [crops[k].shape[1] / max(1, crops[k].shape[0]) for k in idx]
            max_ratio = max(320 / REC_HEIGHT, *ratios)
            width = int(REC_HEIGHT * max_ratio)
            batch = np.stack([_normalise(crops[k], REC_HEIGHT, width, max_ratio) for k in idx])
            probs = self._rec.run(None, {name: batch})[0]  # (n, steps, classes), softmax
            for k, p, ratio in zip(idx, probs, ratios, strict=True):
                used = min(width, int(np.ceil(REC_HEIGHT * ratio)))  # image width inside the padded input
                scale = crops[k].shape[1] / used
                out[k] = self._decode(p, allowed, step_px=width / p.shape[0] * scale)
        return [r if r is not None else LineReading("", 0.0, []) for r in out]

    def _allowed(self, whitelist: str | None) -> np.ndarray | None:
        if not whitelist:
            return None
        keep = set(whitelist)
        return np.array([i == 0 or c in keep for i, c in enumerate(self._chars)])

    def _decode(self, probs: np.ndarray, allowed: np.ndarray | None, *, step_px: float) -> LineReading:
        """Greedy CTC: the best class per step (among `allowed`), repeats merged, blanks dropped; a character's
        confidence is its own probability (a whitelist that forces a character shows as a low confidence)."""
        p = probs if allowed is None else np.where(allowed, probs, 0.0)
        best = p.argmax(axis=1)
        chars: list[tuple[str, float, float, float]] = []
        prev = 0
        for t, k in enumerate(best):
            if k != 0 and k != prev:
                chars.append((self._chars[k], float(p[t, k]), t * step_px, (t + 1) * step_px))
            elif k != 0 and chars:  # the same character held over more steps: widen it
                c = chars[-1]
                chars[-1] = (c[0], max(c[1], float(p[t, k])), c[2], (t + 1) * step_px)
            prev = k
        text = "".join(c[0] for c in chars)
        confs = [c[1] for c in chars]
        if allowed is not None:
            # a character outside the whitelist that the model saw is dropped, not replaced: each such
            # character counts with the probability of what was read in its place (near 0), so a constrained
            # reading that lost characters shows as doubtful
            free = probs.argmax(axis=1)
            suppressed = (free != 0) & ~allowed[free]
            runs = np.flatnonzero(suppressed & ~np.concatenate([[False], suppressed[:-1]]))
            confs += [float(p[t, best[t]]) if best[t] == 0 else 1.0 - float(probs[t, free[t]]) for t in runs]
        conf = float(np.mean(confs)) if confs else 0.0
        return LineReading(text, conf, chars)


def _batches(ratios: list[float], order) -> list[list[int]]:
    """`order` (crops sorted by width/height) cut into batches of at most REC_BATCH lines whose padded input
    (lines x widest line, at the recogniser's height) stays under REC_BATCH_PX."""
    out: list[list[int]] = []
    for k, ratio in zip(order, ratios, strict=True):
        width = REC_HEIGHT * max(320 / REC_HEIGHT, ratio)  # sorted: this line is the batch's widest
        if out and len(out[-1]) < REC_BATCH and width * (len(out[-1]) + 1) <= REC_BATCH_PX:
            out[-1].append(int(k))
        else:
            out.append([int(k)])
    return out


def _normalise(img: np.ndarray, height: int, width: int, max_ratio: float) -> np.ndarray:
    """PP-OCR's input: resized to `height` keeping the aspect ratio (at most `width`), scaled to -1..1, CHW,
    padded with zeros on the right."""
    ratio = img.shape[1] / max(1, img.shape[0])
    w = max(1, min(width, int(np.ceil(height * ratio))))
    resized = cv2.resize(img, (w, height)).astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :w] = resized
    return out


def _crop_quad(img: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The quadrilateral (TL, TR, BR, BL) warped to an upright rectangle."""
    w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    w, h = max(w, 1), max(h, 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)


def _span_box(quad: np.ndarray, u0: float, u1: float, width: int, height: int) -> tuple[int, int, int, int]:
    """Axis-aligned box (x, y, w, h) of the part of a line's quad between fractions u0..u1 of its length."""
    top = [quad[0] + (quad[1] - quad[0]) * u for u in (u0, u1)]
    bottom = [quad[3] + (quad[2] - quad[3]) * u for u in (u0, u1)]
    pts = np.array(top + bottom)
    x0, y0 = np.clip(np.floor(pts.min(axis=0)), 0, [width, height]).astype(int)
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)), 0, [width, height]).astype(int)
    return int(x0), int(y0), int(max(1, x1 - x0)), int(max(1, y1 - y0))


@dataclass
class _Segment:
    """One detected line: where its centre line runs (centre, slope), its height, and its words."""

    cx: float
    cy: float
    height: float
    slope: float
    left: float
    length: float
    words: list[Word]

    @classmethod
    def of(cls, quad: np.ndarray, words: list[Word]) -> _Segment:
        tl, tr, br, bl = (quad[i].astype(float) for i in range(4))
        centre = quad.astype(float).mean(axis=0)
        run = (tr[0] - tl[0] + br[0] - bl[0]) / 2
        rise = (tr[1] - tl[1] + br[1] - bl[1]) / 2
        height = (np.hypot(*(bl - tl)) + np.hypot(*(br - tr))) / 2
        return cls(float(centre[0]), float(centre[1]), float(max(1.0, height)),
                   float(rise / run) if abs(run) > 1e-6 else 0.0, float(quad[:, 0].min()), float(abs(run)), words)

    def y_at(self, x: float) -> float:
        return self.cy + self.slope * (x - self.cx)


def _row_gap(a: _Segment, b: _Segment) -> float:
    """How far apart two detected lines sit across the text direction, in units of the smaller height: the
    longer line's centre line (its slope is the surer) carried to the other's centre. Under 0.5: one row."""
    ref, other = (a, b) if a.length >= b.length else (b, a)
    return abs(ref.y_at(other.cx) - other.cy) / min(a.height, b.height)


def _words(quads, crops, flipped, readings, width: int, height: int) -> list[Word]:
    """Words of every line, split at spaces, boxes from the characters' positions; lines that share a row of the
    image get one line id (like tesseract's text lines), rows top to bottom, segments left to right.

    Rows are found line to line along each line's own slope (a tilted photo's rows run aslant), so a tall line
    (a card's large NIK beside its label) or a slanted one cannot chain the rows above and below it into one."""
    segments: list[_Segment] = []
    for quad, crop, flip, r in zip(quads, crops, flipped, readings, strict=True):
        if not r.text.strip():
            continue
        cw = crop.shape[1]
        words: list[Word] = []
        for text, conf, x0, x1 in _split(r.chars):
            u0, u1 = max(0.0, x0 / cw), min(1.0, x1 / cw)
            if flip:
                u0, u1 = 1.0 - u1, 1.0 - u0
            words.append(Word(text=text, conf=conf, box=_span_box(quad, u0, u1, width, height)))
        if words:
            words.sort(key=lambda wd: wd.box[0])
            segments.append(_Segment.of(np.asarray(quad, float), words))
    upside_down = sum(flipped) * 2 > len(flipped)  # most lines turned: the page is upside down, read it so
    segments.sort(key=lambda sg: sg.left)
    rows: list[list[_Segment]] = []
    for seg in segments:  # left to right: each line joins the row it continues best, or starts one
        gaps = [(min(_row_gap(o, seg) for o in row), k) for k, row in enumerate(rows)]
        best = min(gaps, default=None)
        if best is not None and best[0] < ROW_GAP:
            rows[best[1]].append(seg)
        else:
            rows.append([seg])
    # rows top to bottom where they cross the middle of the image (along their longest line)
    rows.sort(key=lambda row: max(row, key=lambda sg: sg.length).y_at(width / 2), reverse=upside_down)
    out: list[Word] = []
    for line, row in enumerate(rows):
        for seg in sorted(row, key=lambda sg: sg.left, reverse=upside_down):
            ws = reversed(seg.words) if upside_down else seg.words
            out.extend(Word(text=w.text, conf=w.conf, box=w.box, line=line, block=0) for w in ws)
    return out


ROW_GAP = 0.5  # two lines whose centre lines sit this many heights apart or more are different rows


def _split(chars: list[tuple[str, float, float, float]]) -> list[tuple[str, float, float, float]]:
    """(word, mean confidence, x0, x1) of each space-separated run of characters."""
    words: list[tuple[str, float, float, float]] = []
    run: list[tuple[str, float, float, float]] = []
    for c in [*chars, (" ", 0.0, 0.0, 0.0)]:
        if c[0].isspace():
            if run:
                words.append(("".join(r[0] for r in run), float(np.mean([r[1] for r in run])), run[0][2], run[-1][3]))
            run = []
        else:
            run.append(c)
    return words
