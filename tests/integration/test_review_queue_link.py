"""The review app's link to the processing queue (real Redis): a re-processing's place in the waiting line."""

from __future__ import annotations

from config.settings import Settings
from review.service import QueueLink
from tests.integration.conftest import REDIS_DB


def test_position_counts_from_one_and_knows_nothing_of_unknown_jobs(redis_conn):
    link = QueueLink(Settings(redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}"))
    first, second = link("D-1", 1), link("D-2", 1)
    assert (link.position(first), link.position(second)) == (1, 2)
    assert link("D-1", 1) == first and link.position(first) == 1  # asked again: the same job, same place
    assert link.position("dossier-nope-v1") is None
