"""Print the README's rules table (Markdown) from a rules file.

    .venv/bin/python -m scripts.rules_table [config/requirements/kpps-2024.yaml]
"""

from __future__ import annotations

import sys
from pathlib import Path

from config.rules import DEFAULT_RULES, Rules, load_rules

VERDICT_WORDS = {
    "incomplete": "incomplete (berkas belum lengkap)",
    "not_eligible": "not_eligible (tidak memenuhi syarat)",
    "needs_review": "needs_review (perlu diperiksa PPS)",
}


def rules_table(rules: Rules) -> str:
    rows = [
        "| check | rule | source | reason on failure | verdict on failure |",
        "|---|---|---|---|---|",
    ]
    for check_id, c in rules.checks.items():
        source = rules.sources.get(c.source, c.source)
        rows.append(f"| `{check_id}` | {c.rule} | {source} | `{c.reason}` | {VERDICT_WORDS[c.verdict]} |")
    rows.append(
        "| (any check with missing or uncertain input) | - | - | `LOW_CONFIDENCE` / `FIELD_UNREADABLE` "
        "| needs_review (status `review`) |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_RULES
    print(rules_table(load_rules(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
