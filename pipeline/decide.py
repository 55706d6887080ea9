"""The dossier's status from its checks.

Order: incomplete > not_eligible > needs_review > complete. A failed check weighs what the rules file says
(its verdict); a check in `review` always means needs_review; `complete` only when every check passes.
"""

from __future__ import annotations

from config.rules import Rules
from models.contract import Check, CheckStatus, DocType, DossierStatus

ORDER = (DossierStatus.INCOMPLETE, DossierStatus.NOT_ELIGIBLE, DossierStatus.NEEDS_REVIEW, DossierStatus.COMPLETE)
MISSING_BY_CHECK = {"doc_ktp": DocType.KTP, "doc_ijazah": DocType.IJAZAH, "doc_surat_sehat": DocType.SURAT_SEHAT}


def check_outcome(check: Check, rules: Rules) -> DossierStatus:
    """What one check alone would make of the dossier."""
    if check.status == CheckStatus.PASS:
        return DossierStatus.COMPLETE
    if check.status == CheckStatus.REVIEW:
        return DossierStatus.NEEDS_REVIEW
    return DossierStatus(rules.verdict(check.id))


def decide(checks: list[Check], rules: Rules) -> tuple[DossierStatus, list[DocType]]:
    """(status, missing documents) for a dossier's checks."""
    outcomes = {check_outcome(c, rules) for c in checks}
    status = next((s for s in ORDER if s in outcomes), DossierStatus.COMPLETE)
    # a document check in review (an unreadable page may be it) is not reported missing
    missing = [
        MISSING_BY_CHECK[c.id] for c in checks if c.id in MISSING_BY_CHECK and c.status == CheckStatus.FAIL
    ]
    return status, missing
