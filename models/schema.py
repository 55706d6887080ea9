"""Export the published JSON Schema of the result contract.

Run `python -m models.schema` after changing `models/contract.py`; a test fails while the committed
schema differs from the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.contract import DossierResult, Registration

SCHEMA_DIR = Path(__file__).with_name("schema")


def schemas() -> dict[str, dict]:
    return {
        "result.schema.json": DossierResult.model_json_schema(),
        "registration.schema.json": Registration.model_json_schema(),
    }


def write() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, schema in schemas().items():
        (SCHEMA_DIR / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write()
