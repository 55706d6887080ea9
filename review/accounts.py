"""Reviewer accounts: role, area and an argon2id password hash, rows of the review database (`accounts`).

Roles and the area each one covers (Kemendagri codes as written in config/wilayah):

    PPS       one desa/kelurahan   e.g. 35.75.02.1005
    PPK       one kecamatan        e.g. 35.75.02
    KPU_KAB   one kabupaten/kota   e.g. 35.75
    ADMIN     everything (no area)
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from config.settings import CONFIG_DIR
from pipeline.regions import Regions
from pipeline.storage import keys
from review.db import AccountRow, ReviewDB
from review.sessions import Sessions

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
MAX_PASSWORD = 128  # refused above this when set, and at login without hashing: what can be set can be used
MIN_DISTINCT = 5  # distinct characters in a password
COMMON_PASSWORDS_FILE = CONFIG_DIR / "common_passwords.txt"
DEFAULT_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class Role(StrEnum):
    PPS = "PPS"
    PPK = "PPK"
    KPU_KAB = "KPU_KAB"
    ADMIN = "ADMIN"


# how many dotted parts the area code of each role has
AREA_DEPTH = {Role.KPU_KAB: 2, Role.PPK: 3, Role.PPS: 4}
ROLE_LABEL = {Role.PPS: "PPS", Role.PPK: "PPK", Role.KPU_KAB: "KPU Kab/Kota", Role.ADMIN: "Admin"}


class AccountError(ValueError):
    """A request to create or change an account that cannot be honoured (message in Bahasa)."""


class HashingBusy(RuntimeError):
    """Every password-hashing slot is taken and the short waiting line is full or timed out."""


class HashGate:
    """Bounds concurrent argon2 work: `slots` at once, `queue` more waiting at most `wait` seconds.

    argon2id with the library defaults takes 64 MiB per hash, so the slots bound the app's memory
    (24 concurrent logins used to take it from 194 MB to 1.5 GB); a caller past the queue is refused at
    once (`HashingBusy`) instead of joining an unbounded line of blocked threads.
    """

    def __init__(self, slots: int = 2, queue: int = 4, wait: float = 3.0) -> None:
        self.slots = slots
        self.queue = queue
        self.wait = wait
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._sem.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.queue:
                    raise HashingBusy()
                self._waiting += 1
            try:
                got = self._sem.acquire(timeout=self.wait)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not got:
                raise HashingBusy()
        try:
            yield
        finally:
            self._sem.release()


class Account(BaseModel):
    username: str
    role: Role
    area: str | None = None  # None only for ADMIN
    password_hash: str
    disabled: bool = False
    nik_access: bool = True  # may see a whole NIK on the dossier page
    created_at: str

    @property
    def area_parts(self) -> tuple[str, ...]:
        """(kab, kec, desa) codes of the area, as far as the role goes; () for ADMIN."""
        if self.area is None:
            return ()
        bits = self.area.split(".")
        return tuple(".".join(bits[:n]) for n in range(2, len(bits) + 1))

    @classmethod
    def from_row(cls, row: AccountRow) -> Account:
        return cls(username=row.username, role=Role(row.role), area=row.area, password_hash=row.password_hash,
                   disabled=row.disabled, nik_access=row.nik_access, created_at=row.created_at)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


_TRAILING = re.compile(r"[\d\W_]+$")


def _is_run(text: str) -> bool:
    """abcdef..., 98765..., each character one more (or one less) than the one before."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return len(steps) == 1 and steps <= {1, -1}


def password_problem(password: str, username: str = "") -> str | None:
    """Why the password is too weak (Bahasa), or None. The same rules for every way an account gets one."""
    if len(password) < MIN_PASSWORD:
        return f"Kata sandi minimal {MIN_PASSWORD} karakter."
    if len(password) > MAX_PASSWORD:
        return f"Kata sandi paling panjang {MAX_PASSWORD} karakter."
    low = password.lower()
    if len(set(low)) < MIN_DISTINCT:
        return f"Kata sandi terlalu mudah ditebak: pakai paling sedikit {MIN_DISTINCT} karakter yang berbeda."
    if _is_run(low):
        return "Kata sandi terlalu mudah ditebak: deretan huruf atau angka berurutan."
    common = common_passwords()
    if low in common or _TRAILING.sub("", low) in common or low.strip() in common:
        return "Kata sandi ini termasuk yang paling sering dipakai orang; pilih yang lain."
    name = username.lower()
    if name and (name in low or low in name or _TRAILING.sub("", low) == name.replace(".", "")):
        return "Kata sandi tidak boleh memuat nama pengguna."
    return None


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER, username: str = "") -> str:
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)
    return hasher.hash(password)


def validate_area(role: Role, area: str | None, regions: Regions | None) -> str | None:
    if role == Role.ADMIN:
        if area:
            raise AccountError("Akun ADMIN tidak memakai kode wilayah.")
        return None
    area = (area or "").strip()
    if len(area.split(".")) != AREA_DEPTH[role] or not all(p.isdigit() for p in area.split(".")):
        example = {Role.KPU_KAB: "35.75", Role.PPK: "35.75.02", Role.PPS: "35.75.02.1005"}[role]
        raise AccountError(f"Kode wilayah {role.value} harus seperti {example}.")
    if regions is not None and regions.name_of(area) is None:
        raise AccountError(f"Kode wilayah {area} tidak ada di tabel wilayah.")
    return area


@dataclass(frozen=True)
class SignIn:
    account: Account | None  # None: refused
    reason: str  # why refused: unknown_user, wrong_password, disabled, password_too_long
    known: bool  # the user name exists (for the throttle's count of unknown names, never shown to the client)


class Accounts:
    """Account rows in the review database. `hasher` is argon2id with the library defaults unless given
    (tests pass cheaper parameters; a stored hash keeps its own parameters and is upgraded at next login)."""

    def __init__(self, db: ReviewDB, regions: Regions | None = None, *,
                 hasher: PasswordHasher = DEFAULT_HASHER, gate: HashGate | None = None) -> None:
        self.db = db
        self.regions = regions
        self.hasher = hasher
        self.gate = gate or HashGate()
        # verified against when the user does not exist, so a wrong username costs the same time and memory
        # (same parameters, same gate)
        self._dummy_hash = hasher.hash("berkas-no-such-user")

    def get(self, username: str) -> Account | None:
        if not keys.USERNAME_RE.match(username or ""):
            return None
        with self.db.read() as s:
            row = s.get(AccountRow, username)
            return Account.from_row(row) if row is not None else None

    def create(self, username: str, password: str, role: Role | str, area: str | None,
               *, nik_access: bool | None = None) -> Account:
        if not keys.USERNAME_RE.match(username or ""):
            raise AccountError("Nama pengguna: 3-40 huruf kecil, angka, '.', '_' atau '-'.")
        role = Role(role)
        account = Account(
            username=username, role=role, area=validate_area(role, area, self.regions),
            password_hash=hash_password(password, self.hasher, username),
            nik_access=(role != Role.ADMIN) if nik_access is None else nik_access,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        try:
            with self.db.write() as s:
                s.add(AccountRow(**account.model_dump(mode="json")))
        except IntegrityError as e:
            raise AccountError(f"Pengguna {username} sudah ada.") from e
        log.info("account created: %s role=%s", username, role.value)
        return account

    def set_disabled(self, username: str, disabled: bool = True) -> Account:
        with self.db.write() as s:
            row = s.get(AccountRow, username, with_for_update=True) if keys.USERNAME_RE.match(username or "") \
                else None
            if row is None:
                raise AccountError(f"Pengguna {username} tidak ada.")
            row.disabled = disabled
            account = Account.from_row(row)
        if disabled:  # its open sessions end too, and stay ended if the account is enabled again
            Sessions(self.db).end_all(username)
        log.info("account %s: disabled=%s", username, disabled)
        return account

    def list(self) -> list[Account]:
        with self.db.read() as s:
            return [Account.from_row(r) for r in s.scalars(select(AccountRow).order_by(AccountRow.username))]

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password fits and the account is active; None otherwise.

        Raises `HashingBusy` when the hashing gate is full (nothing was verified)."""
        return self.sign_in(username, password).account

    def sign_in(self, username: str, password: str) -> SignIn:
        """`authenticate` with the reason of a refusal, for the log and the throttle."""
        account = self.get(username)
        if len(password) > MAX_PASSWORD:  # could never have been set: refused without hashing
            return SignIn(None, "password_too_long", account is not None)
        with self.gate.slot():
            try:
                self.hasher.verify(account.password_hash if account else self._dummy_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return SignIn(None, "wrong_password" if account else "unknown_user", account is not None)
            if account is None:
                return SignIn(None, "unknown_user", False)
            if account.disabled:
                return SignIn(None, "disabled", True)
            if self.hasher.check_needs_rehash(account.password_hash):
                account.password_hash = self.hasher.hash(password)
                with self.db.write() as s:
                    s.execute(update(AccountRow).where(AccountRow.username == username)
                              .values(password_hash=account.password_hash))
        return SignIn(account, "", True)
