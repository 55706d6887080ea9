"""Every generated scenario ends in the status its ground truth says when the rules see the true values.

GIVEN a generated batch holding every scenario (missing documents, under age, low education, stale letter,
      out of area, duplicate NIK, bad files, broken registration, ...)
WHEN the rules engine runs on the true field values (no OCR: this measures the rules, not the reading)
THEN each dossier gets its expected status and every expected reason, and nothing is accepted by mistake.
"""

from __future__ import annotations

import json
import subprocess
import sys

from scripts.evaluate import truth_only_results


def test_every_scenario_gets_its_status_and_reasons(tmp_path):
    from scripts.samplegen.scenarios import SCENARIOS

    subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(tmp_path), "--count",
                    str(len(SCENARIOS) + 2), "--seed", "5", "--scenarios", ",".join(SCENARIOS)],
                   check=True, capture_output=True)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert {t["scenario"] for t in truth["dossiers"].values()} == set(SCENARIOS)
    results = truth_only_results(tmp_path)
    for dossier_id, t in truth["dossiers"].items():
        r = results[dossier_id]
        reasons = {c["reason"] for c in r["checks"] if c["status"] != "pass"}
        assert r["status"] == t["expected_status"], (dossier_id, t["scenario"], sorted(reasons))
        assert set(t["expected_reasons"]) <= reasons, (dossier_id, t["scenario"])
