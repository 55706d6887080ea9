"""What a worker loads: publishing a result must not drag the report renderers (matplotlib, ReportLab) in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RENDERERS = ("matplotlib", "reportlab")

_PROBE = """
import sys
import {module}
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({renderers!r}))))
"""


def _loaded_renderers(module: str) -> str:
    code = _PROBE.format(module=module, renderers=RENDERERS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_publishing_does_not_import_the_report_renderers() -> None:
    assert _loaded_renderers("pipeline.publish") == ""


def test_the_report_builder_still_loads_them_when_asked() -> None:
    # the probe itself can see the renderers: without this, an empty answer would prove nothing
    assert _loaded_renderers("pipeline.reports.build") == "matplotlib,reportlab"
