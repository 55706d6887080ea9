"""The review database (review/db.py) on SQLite and PostgreSQL: migrations, accounts, sessions, claims and
decisions as transactions. Every test here runs once per backend (the `review_db` fixture)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from review_helpers import FAST_HASHER, latest_decision
from sqlalchemy import func, select, text

from config.settings import Settings
from pipeline.selfcheck import check_review_db, run_checks
from review.accounts import Account, Accounts, Role
from review.claims import ClaimedByOther, Claims
from review.db import ClaimRow, DecisionRow, ReviewDB, ReviewDBError
from review.migrate import current, head
from review.service import ReviewError, ReviewService
from review.sessions import Sessions
from review.settings import ReviewSettings


def test_migrations_reach_the_head_and_are_idempotent(review_db):
    assert current(review_db) == head()
    assert review_db.check_current() == head()
    assert review_db.migrate() == head()  # again: nothing to do
    with review_db.read() as s:
        assert s.scalar(select(func.count()).select_from(ClaimRow)) == 0


def test_a_database_behind_the_code_is_refused_with_one_line(review_db):
    with review_db.write() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(ReviewDBError, match="berkas review migrate") as e:
        review_db.check_current()
    assert "\n" not in str(e.value)
    item = run_checks(Settings(), ["review_db"], review_db_url=review_db.url)[0]
    assert not item.ok and "berkas review migrate" in item.detail and item.name == "review_db"


def test_the_self_check_item_accepts_a_current_database(review_db):
    from pipeline.selfcheck import CheckContext

    item = check_review_db(CheckContext(Settings(), review_db_url=review_db.url))
    assert item.ok and f"revisi {head()}" in item.detail


def test_a_missing_sqlite_file_is_refused_without_creating_it(tmp_path):
    from pipeline.selfcheck import CheckContext

    path = tmp_path / "tidak-ada.sqlite3"
    item = check_review_db(CheckContext(Settings(), review_db_url=f"sqlite:///{path}"))
    assert not item.ok and "berkas review migrate" in item.detail and not path.exists()


def test_accounts_are_rows_and_duplicates_are_refused(review_db):
    accounts = Accounts(review_db, hasher=FAST_HASHER)
    accounts.create("pps.budi", "kuda-lumping-77", "PPS", "35.75.02.1005")
    accounts.create("admin.sari", "kuda-lumping-77", "ADMIN", None)
    assert [a.username for a in accounts.list()] == ["admin.sari", "pps.budi"]
    assert accounts.get("pps.budi").role == Role.PPS and accounts.get("admin.sari").nik_access is False
    with pytest.raises(ValueError, match="sudah ada"):
        accounts.create("pps.budi", "kuda-lumping-78", "PPS", "35.75.02.1005")
    assert accounts.authenticate("pps.budi", "kuda-lumping-77").username == "pps.budi"
    assert accounts.get("Nama Tidak Sah") is None


def test_sessions_end_on_logout_on_disable_and_on_expiry(review_db):
    accounts = Accounts(review_db, hasher=FAST_HASHER)
    accounts.create("pps.budi", "kuda-lumping-77", "PPS", "35.75.02.1005")
    sessions = Sessions(review_db, hours=8)
    a, b = sessions.open("pps.budi"), sessions.open("pps.budi")
    assert sessions.active("pps.budi", a) and sessions.active("pps.budi", b)
    assert not sessions.active("pps.lain", a)  # a session id belongs to its account only
    sessions.end("pps.budi", a)
    assert not sessions.active("pps.budi", a) and sessions.active("pps.budi", b)
    accounts.set_disabled("pps.budi")
    assert not sessions.active("pps.budi", b) and sessions.count("pps.budi") == 0
    short = Sessions(review_db, hours=-1).open("pps.budi")  # already expired
    assert not sessions.active("pps.budi", short)
    assert sessions.purge_expired() == 1


def test_two_verifiers_racing_for_a_claim_exactly_one_wins(review_db):
    """GIVEN eight verifiers asking for the same dossier at the same moment, twenty times over
    THEN each time exactly one holds the claim and every other is told that one's name."""
    claims = Claims(review_db, timedelta(minutes=30))
    for round_ in range(20):
        dossier = f"KPPS-{round_:04d}"
        barrier = threading.Barrier(8)
        won: list[str] = []
        lost: list[str] = []

        def grab(user: str, dossier: str = dossier, barrier: threading.Barrier = barrier,
                 won: list[str] = won, lost: list[str] = lost) -> None:
            barrier.wait()
            try:
                claims.claim(dossier, user)
                won.append(user)
            except ClaimedByOther as e:
                lost.append(e.claim.username)

        threads = [threading.Thread(target=grab, args=(f"pps.v{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1, (dossier, won)
        assert lost == [won[0]] * 7
        assert claims.get(dossier).username == won[0]


def test_a_claim_is_extended_by_its_holder_and_taken_over_when_expired(review_db):
    claims = Claims(review_db, timedelta(minutes=30))
    t0 = datetime.now(UTC) + timedelta(hours=2)  # ahead of the clock: release() judges expiry by it
    claims.claim("KPPS-0001", "pps.a", now=t0)
    assert claims.claim("KPPS-0001", "pps.a", now=t0 + timedelta(minutes=20)).expires_at == \
        t0 + timedelta(minutes=50)
    with pytest.raises(ClaimedByOther):
        claims.claim("KPPS-0001", "pps.b", now=t0 + timedelta(minutes=49))
    claims.release("KPPS-0001", "pps.b")  # not theirs: stays
    assert claims.get("KPPS-0001", now=t0 + timedelta(minutes=49)).username == "pps.a"
    assert claims.claim("KPPS-0001", "pps.b", now=t0 + timedelta(minutes=51)).username == "pps.b"
    assert claims.active(["KPPS-0001", "KPPS-0002"], now=t0 + timedelta(minutes=52)).keys() == {"KPPS-0001"}


@pytest.fixture
def service(review_db, store, store_root, light_runtime) -> ReviewService:
    settings = Settings(store_path=store_root)
    return ReviewService(store, settings, ReviewSettings(secret="x" * 40), runtime_factory=lambda: light_runtime,
                         db=review_db)


def _verifier(name: str) -> Account:
    return Account(username=name, role=Role.PPK, area="35.75.02", password_hash="-", created_at="2026-12-03")


def test_a_decision_on_another_verifiers_claim_writes_nothing(service, review_db):
    service.claim(_verifier("ppk.satu"), "KPPS-0002")
    with pytest.raises(ReviewError) as e:
        service.decide(_verifier("ppk.dua"), "KPPS-0002", "DOCS_REQUESTED", documents=["ijazah"])
    assert e.value.status == 409 and "ppk.satu" in e.value.message
    assert latest_decision(review_db, "KPPS-0002") is None
    body = service.decide(_verifier("ppk.satu"), "KPPS-0002", "DOCS_REQUESTED", documents=["ijazah"])
    assert latest_decision(review_db, "KPPS-0002") == body and body["documents"] == ["ijazah"]
    assert service.claims.get("KPPS-0002") is None  # the decision released the claim in its transaction


def test_two_verifiers_deciding_at_once_leave_one_decision(service, review_db):
    """GIVEN two verifiers who open the same dossier at the same moment (claim), then decide
    THEN exactly one holds it and records a decision; the other is told who holds the dossier, and a
    decision it sends anyway while the claim is held is refused without a row."""
    start, claimed, loser_sent = threading.Barrier(2), threading.Barrier(2), threading.Barrier(2)
    outcome: dict[str, str] = {}

    def work(name: str) -> None:
        account = _verifier(name)
        start.wait()
        try:
            service.claim(account, "KPPS-0002")
            won = True
        except ReviewError as e:
            outcome[name] = f"refused {e.status}"
            won = False
        claimed.wait()  # both claims are settled before anyone decides
        if won:
            loser_sent.wait()  # the other has sent its decision while this claim is held
            service.decide(account, "KPPS-0002", "DOCS_REQUESTED", documents=["ijazah"])
            outcome[name] = "decided"
            return
        try:
            service.decide(account, "KPPS-0002", "TMS", reason="tidak memenuhi syarat", confirmed=True)
            outcome[name] += ", decision written"
        except ReviewError as e:
            outcome[name] += f", decision refused {e.status}"
        finally:
            loser_sent.wait()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("ppk.satu", "ppk.dua")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == ["decided", "refused 409, decision refused 409"], outcome
    with review_db.read() as s:
        rows = s.scalars(select(DecisionRow).where(DecisionRow.dossier_id == "KPPS-0002")).all()
    assert [r.by for r in rows] == [n for n, o in outcome.items() if o == "decided"]


def test_the_sqlite_default_lives_beside_the_store(tmp_path):
    review = ReviewSettings()
    assert review.db_url(Settings(store_path=tmp_path / "store")) == f"sqlite:///{tmp_path}/store.review.sqlite3"
    assert ReviewSettings(database_url="postgresql+psycopg://x@h/db").db_url(Settings()) == \
        "postgresql+psycopg://x@h/db"
    db = ReviewDB(review.db_url(Settings(store_path=tmp_path / "store")))
    try:
        assert db.migrate() == head()
    finally:
        db.dispose()


PG_ONLY_INDEXES = {"ix_queue_rows_name_trgm"}


def test_the_migrations_build_exactly_the_tables_the_models_describe(review_db):
    """The migrations are written by hand and stay self-contained (a revision never changes when the models
    do); this compares the migrated schema with the models, so that a model changed without a migration (or a
    migration that drifted from its model) fails here rather than on a verifier's first write."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from review.db import Base

    def declared(obj, name, type_, reflected, compare_to) -> bool:
        # the trigram index of the name search is PostgreSQL's alone (migration 0002 creates it with pg_trgm);
        # the models, shared with SQLite, do not declare it
        return not (type_ == "index" and name in PG_ONLY_INDEXES)

    with review_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": declared})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
