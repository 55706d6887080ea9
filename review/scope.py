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


def queue_prefix(account: Account, desa: str | None = None, tps: str | None = None) -> str | None:
    """The flag prefix to list for this account, narrowed by a desa code and TPS when given.

    None when the filter asks for an area outside the account's own.
    """
    own = account.area_parts
    tps = keys.normalise_tps(tps) if tps else None
    if desa:
        bits = desa.split(".")
        if len(bits) != 4:
            return None
        wanted = tuple(".".join(bits[:n]) for n in range(2, 5))
        if wanted[: len(own)] != own:
            return None
        return keys.flag_prefix(wanted[0], wanted[1], wanted[2], tps=tps)
    if tps and len(own) == 3:
        return keys.flag_prefix(*own, tps=tps)
    return keys.flag_prefix(*own)
