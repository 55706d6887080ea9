"""Integration fixtures: an S3 server (moto's standalone server on a free loopback port), stores, Redis.

The S3 server is started once per session, only by tests that ask for it (they carry the `s3` mark).
Nothing here reaches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from pipeline.storage.local import LocalStore

S3_KEY = "testing"
S3_SECRET = "testing"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """`host:port` of a moto S3 server running in a thread of the test process."""
    from moto.server import ThreadedMotoServer

    # moto signs nothing for real, but botocore-style settings keep it from looking for credentials
    os.environ.setdefault("AWS_ACCESS_KEY_ID", S3_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def make_s3_store(endpoint: str, **kw):
    from pipeline.storage.s3 import S3Store

    bucket = f"berkas-test-{uuid.uuid4().hex[:12]}"
    return S3Store(endpoint, S3_KEY, S3_SECRET, bucket, secure=False, region="us-east-1", **kw)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """The same tests run against both backends; each S3 test gets its own fresh bucket."""
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_endpoint")
    return make_s3_store(endpoint, part_size=5 * 1024 * 1024)


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on (just released by the OS)."""
    return _free_port()


REDIS_DB = int(os.environ.get("BERKAS_TEST_REDIS_DB", "13"))  # the worker tests' database: flushed


@pytest.fixture
def redis_conn():
    """The worker tests' Redis database, emptied before and after the test."""
    conn = Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        conn.ping()
    except RedisConnectionError:
        pytest.fail("no Redis at 127.0.0.1:6379: scripts/test.sh starts one; run the tests through it")
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()
