"""The README is part of the product: its rules table and its commands must match the code."""

from __future__ import annotations

from pathlib import Path

from config.rules import load_rules
from scripts.rules_table import rules_table

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rules_table_matches_the_rules_file():
    assert rules_table(load_rules()).strip() in README, "README rules table is stale: run `python -m scripts.rules_table`"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "make test" in README and "make demo" in README
