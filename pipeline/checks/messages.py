"""The verifier message catalogue (config/messages.yaml): Bahasa Indonesia first, English beside it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError

MESSAGES_FILE = Path(__file__).resolve().parents[2] / "config" / "messages.yaml"


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "-"


class Catalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.labels = data.get("labels", {})

    def document(self, doc: str, *, en: bool = False) -> str:
        return self.labels.get("documents_en" if en else "documents", {}).get(doc, doc)

    def field(self, name: str, *, en: bool = False) -> str:
        return self.labels.get("fields_en" if en else "fields", {}).get(name, name)

    def nik_problem(self, code: str, *, en: bool = False) -> str:
        entry = self.data.get("nik_problems", {}).get(code, {})
        return entry.get("en" if en else "id", code)

    def render(self, check_id: str, outcome: str, values: dict[str, Any]) -> tuple[str, str]:
        """(message in Bahasa Indonesia, message in English) for a check's outcome ("pass" or a reason)."""
        entry = self.data.get(check_id, {}).get(outcome) or self.data.get("_any", {}).get(outcome)
        if entry is None:
            raise ConfigError(f"config/messages.yaml: no message for {check_id}.{outcome}")
        filled = _Blank({k: ("-" if v is None else v) for k, v in values.items()})
        return entry["id"].format_map(filled), entry["en"].format_map(filled)


@lru_cache(maxsize=2)
def load_catalogue(path: str | None = None) -> Catalogue:
    file = Path(path) if path else MESSAGES_FILE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"message catalogue {file} cannot be read: {e}") from e
    return Catalogue(data)
