"""A stand-in for the page reader, for tests that exercise storage, queues and concurrency, not OCR.

`TruthReader` replaces `pipeline.process.read_page`: it reads a page as its ground truth says (from
`truth.json` of `scripts.generate_samples`, or any sha256 -> page table), so a dossier is processed through the
real intake (originals from the store, checksum verified, decoded in the guard child), checks, decision and
publish, in milliseconds per page. A file the table does not know reads as an unknown page. `install` also
swaps the OCR engine factory for one that builds nothing, so pool and worker processes start fast; forked
processes inherit both.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from models.contract import DocType
from pipeline.context import DocumentReading, FieldValue


class NoEngine:
    name = "none"

    def read(self, image, *, psm=3, whitelist=None):  # pragma: no cover - the stand-in reader never OCRs
        raise RuntimeError("tests with TruthReader do not OCR")


class TruthReader:
    def __init__(self, pages: dict[tuple[str, int], dict[str, Any]] | None = None) -> None:
        self.pages: dict[tuple[str, int], dict[str, Any]] = dict(pages or {})

    def learn(self, data: bytes, page: int, doc_type: str, fields: dict[str, Any]) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.pages[(sha, page)] = {"type": doc_type, "fields": fields}
        return sha

    @classmethod
    def from_truth(cls, out_dir: Path) -> TruthReader:
        """From a generated batch: `out_dir/truth.json` and the files under `out_dir/input/`."""
        truth = json.loads((Path(out_dir) / "truth.json").read_text())
        reader = cls()
        for dossier_id, t in truth["dossiers"].items():
            for p in t["pages"]:
                path = Path(out_dir) / "input" / dossier_id / p["file"]
                if path.is_file():
                    reader.learn(path.read_bytes(), p["page"], p["type"], p["fields"])
        return reader

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps([[sha, page, body] for (sha, page), body in self.pages.items()]))

    @classmethod
    def load(cls, path: Path) -> TruthReader:
        return cls({(sha, page): body for sha, page, body in json.loads(Path(path).read_text())})

    def __call__(self, page, *, engine, nlp) -> DocumentReading:
        body = self.pages.get((page.sha256, page.page))
        if body is None:
            return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=DocType.UNKNOWN)
        doc_type = DocType(body["type"])
        fields = {k: FieldValue(str(v), 0.99, (10, 10 + 30 * i, 200, 24))
                  for i, (k, v) in enumerate(body["fields"].items())}
        return DocumentReading(file=page.file, page=page.page, sha256=page.sha256, type=doc_type,
                               type_scores={doc_type.value: 0.97}, fields=fields)


def install(reader: TruthReader, monkeypatch=None) -> None:
    """Read pages with `reader` and build no OCR engine, in this process and the ones it forks."""
    import pipeline.ocr.factory
    import pipeline.process

    def no_engine(*_a, **_kw):
        return NoEngine()

    if monkeypatch is not None:
        monkeypatch.setattr(pipeline.process, "read_page", reader)
        monkeypatch.setattr(pipeline.ocr.factory, "make_engine", no_engine)
    else:
        pipeline.process.read_page = reader
        pipeline.ocr.factory.make_engine = no_engine


def light_runtime():
    """Rules and regions, no OCR engine and no spaCy: enough for the stand-in reader and for re-checks."""
    from config.rules import load_rules
    from config.settings import Settings
    from pipeline.regions import Regions
    from pipeline.runtime import Runtime

    settings = Settings()
    return Runtime(settings=settings, engine=NoEngine(), nlp=None, rules=load_rules(settings.rules_file),
                   regions=Regions.load())
