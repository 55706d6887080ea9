"""The store of `berkas review serve --demo`: a folder of its own, never a store that holds other data.

The demo writes results, flags and accounts under fixed ids (KPPS-0001 ...). Seeded into a real store, it
overwrote real dossiers of the same ids and left stale queue rows, so it now always runs on a local folder
(`--demo-dir`, default `var/demo-review`), marked by `demo-store.json` when first seeded. A folder that holds
anything and lacks that mark is refused with a message; it is never written to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.storage.local import LocalStore

DEFAULT_DEMO_DIR = Path("var/demo-review")
MARKER_KEY = "demo-store.json"


class DemoStoreRefused(ValueError):
    """The demo was pointed at a folder holding data that is not the demo's (message in Bahasa)."""


def open_demo_store(folder: Path) -> LocalStore:
    """The demo's store at `folder`, created and marked when new or empty; refuses a folder with other data."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DemoStoreRefused(f"--demo-dir {folder} bukan folder.")
    if folder.is_dir() and any(folder.iterdir()):
        # looked up without opening a LocalStore there: opening creates its folders and lock files
        if not (folder / "objects" / MARKER_KEY).is_file():
            raise DemoStoreRefused(
                f"Folder {folder} sudah berisi data yang bukan data demo: demo tidak menulis ke sana, agar berkas "
                "sungguhan tidak tertimpa. Pilih folder kosong dengan --demo-dir (bawaan: "
                f"{DEFAULT_DEMO_DIR}) atau hapus folder demo lama.")
        return LocalStore(folder)
    store = LocalStore(folder)
    store.put_json(MARKER_KEY, {"demo": True, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                "note": "contoh sintetis dari berkas review serve --demo; aman dihapus"})
    return store
