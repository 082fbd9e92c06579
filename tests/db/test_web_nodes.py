"""Several web nodes behind a reverse proxy (README, "Deployment"): the login limit counts each
client once across every node (Redis), and by the client's address, not the proxy's."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WRONG = "not the password"

#: One web node: a fresh process with the app as gunicorn would build it (settings from the
#: environment), posting the given passwords to /login; prints the status codes.
NODE = """
import os, sys
from webapp import create_app
app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "PAD_ARTIFACTS_DIR": sys.argv[1]})
browser = app.test_client()
print(" ".join(str(browser.post("/login", data={"email": sys.argv[2], "password": password},
                                environ_base={"REMOTE_ADDR": os.environ["NODE_CLIENT_IP"]})
                   .status_code) for password in sys.argv[3:]))
"""


def _node(env: dict[str, str], artifacts: Path, email: str, *passwords: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", NODE, str(artifacts), email, *passwords],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [int(code) for code in done.stdout.split()]


def test_a_login_limit_reached_on_one_node_holds_on_another(app, database_url, redis_url,
                                                           user_emails, password, tmp_path):
    env = {**os.environ, "PAD_ENV": "testing", "SECRET_KEY": "tests-only-secret",
           "DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": redis_url,
           "NODE_CLIENT_IP": f"10.{random.randrange(256)}.{random.randrange(256)}.7"}
    email = user_emails["advisor"]
    assert _node(env, tmp_path, email, *[WRONG] * 10) == [401] * 10  # node 1: 10 failures
    assert _node(env, tmp_path, email, password) == [429]  # node 2: the limit holds


@pytest.fixture
def node_app(app, database_url, tmp_path):
    """``node_app(hops)`` → a web node of the session's database behind ``hops`` proxies."""
    from webapp import create_app
    from webapp.extensions import db

    built = []

    def build(hops: int):
        built.append(create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                                 "SQLALCHEMY_DATABASE_URI": database_url,
                                 "PAD_ARTIFACTS_DIR": str(tmp_path), "PAD_PROXY_HOPS": hops,
                                 "RATELIMIT_STORAGE_URI": "memory://",
                                 # the per-address limit alone (the per-account one counts
                                 # an account's failures from every address)
                                 "PAD_LOGIN_ADDRESS_RATE_LIMIT": "5 per minute",
                                 "PAD_LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute"}))
        return built[-1]

    yield build
    for node in built:  # its pooled connections, closed now rather than whenever collected
        with node.app_context():
            db.engine.dispose()


def _login(browser, email: str, password: str, client_ip: str):
    return browser.post("/login", data={"email": email, "password": password},
                        environ_base={"REMOTE_ADDR": "10.200.0.1"},  # the proxy
                        headers={"X-Forwarded-For": client_ip})


def test_behind_a_proxy_each_client_has_its_own_limit(node_app, user_emails, password):
    browser = node_app(1).test_client()
    email = user_emails["advisor"]
    for _ in range(5):
        assert _login(browser, email, WRONG, "198.51.100.1").status_code == 401
    assert _login(browser, email, password, "198.51.100.1").status_code == 429
    assert _login(browser, email, password, "198.51.100.2").status_code == 302


def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_limit(node_app,
                                                                             user_emails,
                                                                             password):
    browser = node_app(0).test_client()
    email = user_emails["advisor"]
    for attempt in range(5):
        _login(browser, email, WRONG, f"198.51.100.{10 + attempt}")
    assert _login(browser, email, password, "198.51.100.99").status_code == 429


def test_in_one_process_with_threads_the_login_limit_counts_every_attempt(app, user_emails):
    """``make run``: one gunicorn process with threads and the in-memory limiter. Twenty
    failed attempts at once from one address: exactly ten are answered, ten refused."""
    from concurrent.futures import ThreadPoolExecutor

    address = f"10.{random.randrange(256)}.{random.randrange(256)}.9"
    # An account of its own: the ten failures must not lock the advisor out of later tests.
    email = f"burst-{random.randrange(10**9)}@pad.example"

    def attempt(_: int) -> int:
        return app.test_client().post("/login", data={"email": email, "password": WRONG},
                                      environ_base={"REMOTE_ADDR": address}).status_code

    csrf = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(attempt, range(20)))
    finally:
        app.config["WTF_CSRF_ENABLED"] = csrf
    assert sorted(codes) == [401] * 10 + [429] * 10
