"""The servers ``scripts/services.sh`` starts for the tests listen on loopback only (run with
``PAD_TEST_DATABASE_URL`` and ``PAD_TEST_REDIS_URL``, as ``scripts/test.sh`` does)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

pytestmark = pytest.mark.db


def test_postgresql_listens_on_loopback_only(pytestconfig, database_backend):
    if database_backend != "postgresql":
        pytest.skip("no PostgreSQL for this session (PAD_TEST_DATABASE_URL)")
    engine = create_engine(pytestconfig.getoption("--database-url"), poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.scalar(text("SHOW listen_addresses")) == "127.0.0.1"
        assert connection.scalar(text("SELECT rolsuper FROM pg_roles "
                                      "WHERE rolname = current_user")) is False
    engine.dispose()


def test_redis_listens_on_loopback_only_and_keeps_values(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    assert client.config_get("bind") == {"bind": "127.0.0.1"}
    client.set("pad:test:services", "ok", ex=30)
    assert client.get("pad:test:services") == b"ok"
    client.delete("pad:test:services")
    client.close()
