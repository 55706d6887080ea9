"""What a result says about how it was decided: the requirements file (version and sha256 of its bytes), the
pipeline version, the code revision, and per page the engines that read it (name, version, language data or
model file hashes).

Everything here is computed once per process (per Runtime) and then only copied into results; a re-check
without OCR keeps each page's `read_with` from the stored result and takes the requirements of the rules in
force, so a result always names the requirements it was last decided under.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.contract import DocType, EngineInfo, Provenance, RulesInfo
from pipeline import __version__
from pipeline.context import DocumentReading
from pipeline.filehash import sha256_file

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
REVISION_FILE = ROOT / "REVISION"  # written at image build time (Dockerfile)
REVISION_ENV = "BERKAS_CODE_REVISION"
TESSERACT_ENGINES = {"tesserocr", "pytesseract"}
TEXT_LAYER = EngineInfo(name="pdf_text_layer", data="PDF text layer (no OCR)")


@lru_cache(maxsize=1)
def code_revision() -> str | None:
    """The code's revision: BERKAS_CODE_REVISION, else the REVISION file of an image build, else `git describe`
    of the source tree (with `-dirty` when it has uncommitted changes), else None."""
    env = os.environ.get(REVISION_ENV, "").strip()
    if env:
        return env
    try:
        text = REVISION_FILE.read_text(encoding="ascii").strip()
        if text:
            return text
    except (OSError, UnicodeDecodeError):
        pass
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


@lru_cache(maxsize=8)
def _rules_info(path: str, mtime_ns: int, version: str) -> RulesInfo:
    return RulesInfo(file=Path(path).name, version=version, sha256=sha256_file(Path(path)))


def rules_info(rules_file: Path, version: str) -> RulesInfo:
    """The requirements file's name, `version` and the sha256 of its bytes (cached while the file is unchanged)."""
    return _rules_info(str(rules_file), rules_file.stat().st_mtime_ns, version)


def decision_provenance(runtime: Any) -> Provenance:
    """Requirements, pipeline version and code revision of a decision made with `runtime`'s rules."""
    return Provenance(requirements=rules_info(runtime.settings.rules_file, runtime.rules.version),
                      pipeline_version=__version__, code_revision=code_revision())


# ---- engines ---------------------------------------------------------------------------------------------------


def _tessdata_dir(engine: Any) -> Path | None:
    configured = getattr(engine, "tessdata", None)
    if configured:
        return Path(configured)
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        return Path(prefix)
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (out.stdout or out.stderr).splitlines()[:1]
    if first and '"' in first[0]:  # List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (N):
        return Path(first[0].split('"')[1])
    return None


def engine_info(engine: Any, lang: str) -> EngineInfo:
    """What an OCR engine object says about itself: tesseract with its language data file's sha256, the neural
    engine with its model files' sha256 (verified when it was built), any other engine by name and version."""
    name = str(getattr(engine, "name", type(engine).__name__))
    version = getattr(engine, "version", None)
    if name in TESSERACT_ENGINES:
        data_sha = None
        tessdata = _tessdata_dir(engine)
        shas = []
        for part in lang.split("+"):
            f = tessdata / f"{part}.traineddata" if tessdata else None
            if f is not None and f.is_file():
                shas.append(sha256_file(f))
        if shas:
            data_sha = shas[0] if len(shas) == 1 else hashlib.sha256("".join(shas).encode()).hexdigest()
        return EngineInfo(name=name, version=str(version) if version else None, data=lang, sha256=data_sha)
    models = getattr(engine, "models", None)
    if models:
        return EngineInfo(name=name, version=str(version) if version else None,
                          data=", ".join(m.path.name for m in models), files={m.role: m.sha256 for m in models})
    return EngineInfo(name=name, version=str(version) if version else None)


def nik_templates_info() -> EngineInfo:
    from pipeline.reading.ktp.nik_templates import CHECKSUM_FILE, TEMPLATES_FILE, expected_sha256

    return EngineInfo(name="nik_templates", data=TEMPLATES_FILE.name, sha256=expected_sha256(CHECKSUM_FILE))


class EngineCatalogue:
    """The engines of one Runtime, described once (hashing language data takes a moment), by role."""

    def __init__(self, engines: dict[str, Any], lang: str) -> None:
        self.ocr = [engine_info(e, lang) for e in engines.values()]
        self.nik = nik_templates_info()

    def for_page(self, reading: DocumentReading) -> list[EngineInfo]:
        """The engines that read a page: its text layer alone when that was used, else the OCR engines (and the
        NIK template reader on a KTP)."""
        if reading.text_layer:
            return [TEXT_LAYER]
        doc_type = reading.type
        return [*self.ocr, *([self.nik] if doc_type == DocType.KTP else [])]


def flag_provenance(result: Any) -> dict[str, Any] | None:
    """The short form a review flag carries: requirements version and sha256, pipeline version, code revision."""
    p = getattr(result, "provenance", None)
    if p is None:
        return None
    return {"requirements_version": p.requirements.version, "requirements_sha256": p.requirements.sha256,
            "pipeline_version": p.pipeline_version, "code_revision": p.code_revision}
