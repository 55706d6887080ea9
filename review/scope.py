"""Area scoping: which dossiers an account may see and act on. Enforced on every request."""

from __future__ import annotations

from pipeline.storage import keys
from review.accounts import Account, Role


def covers(account: Account, area: keys.AreaCodes) -> bool:
    """True when the dossier's area lies inside the account's area (ADMIN covers everything)."""
    if account.role == Role.ADMIN:
        return True
    have = (area.kab_code, area.kec_code, area.desa_code)
    return all(have[i] == code for i, code in enumerate(account.area_parts))


def scope_codes(account: Account, desa: str | None = None, tps: str | None = None) -> tuple[str | None, ...] | None:
    """(kab, kec, desa, tps) the queue is narrowed to (as far as known); None when the filter asks for an
    area outside the account's own."""
    own = account.area_parts
    tps = keys.normalise_tps(tps) if tps else None
    if desa:
        bits = desa.split(".")
        if len(bits) != 4 or not all(b.isdigit() for b in bits):
            return None
        wanted = tuple(".".join(bits[:n]) for n in range(2, 5))
        if wanted[: len(own)] != own:
            return None
        return (*wanted, tps)
    if tps and len(own) == 3:
        return (*own, tps)
    return own


def queue_prefix(account: Account, desa: str | None = None, tps: str | None = None) -> str | None:
    """The flag prefix to list for this account, narrowed by a desa code and TPS when given (`scope_codes`).

    None when the filter asks for an area outside the account's own.
    """
    codes = scope_codes(account, desa, tps)
    if codes is None:
        return None
    kab, kec, desa_code, tps_code = (*codes, None, None, None, None)[:4]
    return keys.flag_prefix(kab, kec, desa_code, tps=tps_code)
