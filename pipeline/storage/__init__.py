"""Object storage: one interface (`ObjectStore`), a local-folder backend and an S3 (MinIO) backend.

Keys are built only by `pipeline.storage.keys`; see docs/storage.md for the layout and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.storage.base import ObjectInfo, ObjectStore
from pipeline.storage.local import LocalStore

if TYPE_CHECKING:
    from config.settings import Settings

__all__ = ["ObjectInfo", "ObjectStore", "LocalStore", "open_store"]


def open_store(settings: Settings) -> ObjectStore:
    """The store the settings name: a folder at `settings.store_path`, or an S3 bucket (created if absent)."""
    if settings.store == "s3":
        import base64

        from pipeline.storage.s3 import S3Store, server_side_encryption

        customer_key = settings.s3_sse_c_key.get_secret_value() if settings.s3_sse_c_key else None
        sse = server_side_encryption(settings.s3_sse, kms_key_id=settings.s3_sse_kms_key_id,
                                     customer_key=base64.b64decode(customer_key) if customer_key else None)
        return S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            sse=sse,
        )
    return LocalStore(settings.store_path)
