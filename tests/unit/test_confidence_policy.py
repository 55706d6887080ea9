"""The one confidence policy (pipeline/reading/confidence.py): from the rules file, checked at load, and the
reconciliation of two readings that every second look uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from config.rules import DEFAULT_RULES, load_rules
from pipeline.context import FieldValue
from pipeline.errors import ConfigError
from pipeline.reading.confidence import ConfidencePolicy

POLICY = ConfidencePolicy.from_rules(load_rules())

confidences = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
values = st.sampled_from(["SITI", "SITTI", "120/80", "125/80", None])
readings = st.one_of(st.none(), st.builds(lambda v, c: FieldValue(v, round(c, 4), (1, 2, 3, 4), str(v)),
                                          values, confidences))


def test_the_policy_comes_from_the_rules_file() -> None:
    rules = load_rules()
    assert POLICY.review_below == rules.confidence.min_field
    assert POLICY.disagree_cap == rules.confidence.disagree_cap < POLICY.review_below
    assert POLICY.reread_below == rules.confidence.reread_below >= POLICY.review_below
    assert POLICY.weak_reading == rules.confidence.weak_reading


def _rules_with(tmp_path: Path, **confidence: float) -> Path:
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["confidence"].update(confidence)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_disagreement_cap_at_or_above_the_review_threshold_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="disagree_cap"):
        load_rules(_rules_with(tmp_path, disagree_cap=0.6))
    with pytest.raises(ConfigError, match="reread_below"):
        load_rules(_rules_with(tmp_path, reread_below=0.5))
    with pytest.raises(ConfigError, match="weak_reading"):
        load_rules(_rules_with(tmp_path, weak_reading=0.7))
    with pytest.raises(ConfigError, match="disagree_cap"):
        load_rules(_rules_with(tmp_path, disagree_cap=None))  # type: ignore[arg-type]
    assert load_rules(_rules_with(tmp_path, disagree_cap=0.4)).confidence.disagree_cap == 0.4


def test_a_policy_out_of_order_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="out of order"):
        ConfidencePolicy(review_below=0.6, disagree_cap=0.6, weak_reading=0.5, reread_below=0.85)
    with pytest.raises(ValueError, match="out of order"):
        ConfidencePolicy(review_below=0.6, disagree_cap=0.5, weak_reading=0.5, reread_below=0.55)


def _fv(value: object, conf: float) -> FieldValue:
    return FieldValue(value, conf, (0, 0, 10, 10), str(value))


def test_triggers() -> None:
    assert POLICY.needs_review(None) and POLICY.needs_review(_fv(None, 0.99))
    assert POLICY.needs_review(_fv("X", 0.59)) and not POLICY.needs_review(_fv("X", 0.6))
    assert POLICY.needs_reread(_fv("X", 0.84)) and not POLICY.needs_reread(_fv("X", 0.85))
    assert POLICY.doubt(_fv("X", 0.9)).confidence == POLICY.disagree_cap
    assert POLICY.doubt(_fv("X", 0.2)).confidence == 0.2


def test_agreement_keeps_the_stronger_confidence() -> None:
    got = POLICY.reconcile(_fv("A", 0.62), _fv("A", 0.91))
    assert got is not None and got.value == "A" and got.confidence == 0.91


def test_disagreement_is_capped_below_the_review_threshold() -> None:
    got = POLICY.reconcile(_fv("A", 0.9), _fv("B", 0.95))
    assert got is not None and got.value == "B" and got.confidence == POLICY.disagree_cap
    assert POLICY.needs_review(got)


def test_a_weak_reading_is_no_evidence_unless_it_may_not_be_dismissed() -> None:
    assert POLICY.reconcile(_fv("A", 0.3), _fv("B", 0.8)) == _fv("B", 0.8)
    assert POLICY.reconcile(_fv("A", 0.8), _fv("B", 0.3)) == _fv("A", 0.8)
    # a second reader whose doubt is already in its confidence still contradicts the first
    capped = POLICY.reconcile(_fv("A", 0.8), _fv("B", 0.3), dismiss_weak="first")
    assert capped is not None and capped.value == "A" and capped.confidence == POLICY.disagree_cap


def test_an_independent_source_backs_one_reading_of_two() -> None:
    got = POLICY.reconcile(_fv("A", 0.7), _fv("B", 0.9), corroborated=lambda v: v == "B", choose=lambda a, _: a)
    assert got == _fv("B", 0.9)
    both = POLICY.reconcile(_fv("A", 0.7), _fv("B", 0.9), corroborated=lambda v: True, choose=lambda a, _: a)
    assert both is not None and both.value == "A" and both.confidence == POLICY.disagree_cap


@given(readings, readings, st.sampled_from(["either", "first", "none"]))
def test_reconcile_never_invents_and_never_passes_a_disagreement(first, second, dismiss) -> None:
    got = POLICY.reconcile(first, second, dismiss_weak=dismiss)
    inputs = [fv for fv in (first, second) if fv is not None]
    if got is None:
        assert first is None and (second is None or second.value is None)
        return
    assert got.value in [fv.value for fv in inputs]  # a value read, never a new one
    assert got.confidence <= max(fv.confidence for fv in inputs)  # never surer than the surest reading
    both = [fv for fv in inputs if fv.value is not None]
    if len(both) == 2 and both[0].value != both[1].value:
        weak = [POLICY.is_weak(fv) for fv in both]
        dismissible = {"either": weak, "first": [weak[0], False], "none": [False, False]}[dismiss]
        if not any(dismissible):
            assert got.confidence <= POLICY.disagree_cap < POLICY.review_below
    if len(both) == 2 and both[0].value == both[1].value:
        assert got.confidence == max(fv.confidence for fv in both)


@given(readings, readings)
def test_reconcile_is_order_free_on_values_when_the_confidences_differ(first, second) -> None:
    if first is None or second is None or first.confidence == second.confidence:
        return
    if first.value is None and second.value is None:
        return  # nothing read either way
    a, b = POLICY.reconcile(first, second), POLICY.reconcile(second, first)
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert (a.value, a.confidence) == (b.value, b.confidence)


def test_the_doubtful_date_trusts_stay_within_the_disagreement_cap() -> None:
    """A date with a bracket between its parts, or a day that may have lost a digit, is trusted at most this
    much (pipeline/normalise.py): such a date must go to review like two readings that disagree."""
    from pipeline.normalise import BRACKETED_DATE, SPLIT_DAY, find_dates

    assert max(BRACKETED_DATE, SPLIT_DAY) <= POLICY.disagree_cap
    assert find_dates("01/1)/2023")[0].score <= POLICY.disagree_cap
