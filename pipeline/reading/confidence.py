"""One confidence policy for every reading of a value, derived from the rules file (`confidence:`).

A field whose confidence is below the rules' review threshold (`min_field`) sends its check to a person. The
reading code never compares with a number of its own; it asks this policy:

* `needs_review(fv)`: the field, as it stands, goes to a person;
* `needs_reread(fv)`: the field is worth reading once more (a second look: its region, another way);
* `from_neural(fv)`: a reading of the neural engine on the common scale: its own confidence `neural_sure`
  becomes the review threshold, 1 stays 1, 0 stays 0 (linear between). PP-OCR puts most of what it reads at
  0.99+ and is wrong more often than right under 0.8, where tesseract is mostly right (docs/ocr.md);
* `doubt(fv)`: a reading that its own evidence contradicts (a Q/O glyph undecided, a tick box unclear) is
  capped at `disagree_cap`, below the review threshold;
* `reconcile(first, second)`: two readings of one value become one:

  - one of them has no value: the other;
  - the same value (by `same`): the reading kept (by `choose`, else the more confident) with the stronger of
    the two confidences (two readings agree); when the two come from independent engines (tesseract and the
    neural engine: `independent=True`), with 1 - (1 - a)(1 - b), the chance that neither is right if each
    errs on its own, kept under `agree_ceiling` (one identical misread by two engines is rare, not impossible);
  - a weak reading (below `weak_reading`) is no evidence against the other: the other stands;
  - different values: the reading that an independent source corroborates keeps its own confidence (two
    against one); otherwise the reading kept (by `choose`, else the more confident) is capped at
    `disagree_cap`, so the field goes to review.

`disagree_cap < review threshold` holds by construction: the rules file is refused at load otherwise
(`config.rules.ConfidenceRule`), and so is a policy built with other numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from config.rules import Rules
from pipeline.context import FieldValue

Same = Callable[[Any, Any], bool]
Choose = Callable[[FieldValue, FieldValue], FieldValue]
Dismiss = Literal["either", "first", "none"]
AGREE_CEILING = 0.99  # two engines that agree never make a value certain


def equal(a: Any, b: Any) -> bool:
    return bool(a == b)


@dataclass(frozen=True)
class ConfidencePolicy:
    review_below: float  # the rules' min_field: a field below this goes to a person
    disagree_cap: float  # two readings disagree: the value kept gets at most this
    weak_reading: float  # a reading below this is no evidence against another one
    reread_below: float  # a value read less surely than this gets a second look
    neural_sure: float = 0.90  # the neural engine's own confidence that counts as `review_below`

    def __post_init__(self) -> None:
        if not 0.0 <= self.disagree_cap < self.review_below <= self.reread_below <= 1.0:
            raise ValueError(f"confidence policy out of order: need 0 <= disagree_cap ({self.disagree_cap}) "
                             f"< review threshold ({self.review_below}) <= reread_below ({self.reread_below}) <= 1")
        if not 0.0 < self.neural_sure < 1.0:
            raise ValueError(f"neural_sure {self.neural_sure} is not within 0..1 (exclusive)")
        if not 0.0 <= self.weak_reading <= self.review_below:
            raise ValueError(f"weak_reading {self.weak_reading} is not within 0..review threshold ({self.review_below})")

    @classmethod
    def from_rules(cls, rules: Rules) -> ConfidencePolicy:
        c = rules.confidence
        return cls(review_below=c.min_field, disagree_cap=c.disagree_cap, weak_reading=c.weak_reading,
                   reread_below=c.reread_below, neural_sure=c.neural_sure)

    # ---- one reading ------------------------------------------------------------------------------

    def needs_review(self, fv: FieldValue | None) -> bool:
        """No value, or one read less surely than the review threshold."""
        return fv is None or fv.value is None or fv.confidence < self.review_below

    def needs_reread(self, fv: FieldValue | None) -> bool:
        """No value, or one read less surely than the re-read trigger."""
        return fv is None or fv.value is None or fv.confidence < self.reread_below

    def is_weak(self, fv: FieldValue) -> bool:
        return fv.confidence < self.weak_reading

    def from_neural(self, fv: FieldValue) -> FieldValue:
        """The neural engine's reading with its confidence on the common scale (see the module docstring)."""
        c, sure, review = min(1.0, max(0.0, fv.confidence)), self.neural_sure, self.review_below
        scaled = c / sure * review if c < sure else review + (c - sure) / (1.0 - sure) * (1.0 - review)
        return replace(fv, confidence=round(scaled, 4))

    def doubt(self, fv: FieldValue) -> FieldValue:
        """The reading with its confidence capped: its own evidence is undecided."""
        return replace(fv, confidence=round(min(fv.confidence, self.disagree_cap), 4))

    # ---- two readings -----------------------------------------------------------------------------

    @staticmethod
    def agreed(a: float, b: float, independent: bool) -> float:
        """The confidence of a value two readings give alike (see the module docstring)."""
        if not independent:
            return max(a, b)
        both = 1.0 - (1.0 - min(1.0, max(0.0, a))) * (1.0 - min(1.0, max(0.0, b)))
        return round(max(a, b, min(AGREE_CEILING, both)), 4)

    def reconcile(self, first: FieldValue | None, second: FieldValue | None, *, same: Same = equal,
                  choose: Choose | None = None, corroborated: Callable[[Any], bool] | None = None,
                  dismiss_weak: Dismiss = "either", independent: bool = False) -> FieldValue | None:
        """One reading of a value from two (see the module docstring).

        `same` says when two values are one; `choose` picks the reading to keep of two (default: the more
        confident, the first on a tie); `corroborated` says whether an independent source (e.g. the NIK's
        date part) states a value; `dismiss_weak` says which readings may be set aside as weak: "either",
        only the "first" (a second reader whose doubt is already in its confidence still counts), or "none";
        `independent`: the two readings come from different engines, so agreement raises the confidence.
        """
        if second is None or second.value is None:
            return first
        if first is None or first.value is None:
            return second
        pick = choose or _more_confident
        if same(first.value, second.value):
            kept = pick(first, second)
            return replace(kept, confidence=self.agreed(first.confidence, second.confidence, independent))
        first_weak = dismiss_weak in ("either", "first") and self.is_weak(first)
        second_weak = dismiss_weak == "either" and self.is_weak(second)
        if first_weak and second_weak:
            return _more_confident(first, second)
        if first_weak:
            return second
        if second_weak:
            return first
        if corroborated is not None:
            backed = [fv for fv in (first, second) if corroborated(fv.value)]
            if len(backed) == 1:
                return backed[0]
        return self.doubt(pick(first, second))


def _more_confident(a: FieldValue, b: FieldValue) -> FieldValue:
    return b if b.confidence > a.confidence else a
