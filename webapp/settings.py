"""Settings, read from the environment: the only module that reads ``os.environ``.

A secret has no production default: in production (``PAD_ENV=production``, the default
outside ``make run`` and the tests) the app refuses to start without ``SECRET_KEY``. In
development a random key is generated once and kept in ``instance/secret_key``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigurationError(RuntimeError):
    """The environment does not allow the app to start safely."""


def _instance_secret(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None


def load_settings(instance_path: Path) -> dict:
    """Build the Flask configuration mapping from the environment."""
    env = os.environ.get("PAD_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigurationError(f"PAD_ENV must be production, development or testing, not {env!r}")
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigurationError(
                "SECRET_KEY is not set. Set it in the environment (for example "
                "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`) "
                "or run with PAD_ENV=development on a workstation."
            )
        secret = _instance_secret(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'pad.sqlite3'}"
    session_lifetime = _int("PAD_SESSION_LIFETIME_SECONDS", 12 * 3600)
    return {
        "PAD_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        # Sessions end after this long without a request, and this long after sign-in
        # whatever the activity (``webapp/accounts/sessions.py``); the signed cookie itself
        # is refused past the absolute lifetime too.
        "PAD_SESSION_IDLE_SECONDS": _int("PAD_SESSION_IDLE_SECONDS", 30 * 60),
        "PAD_SESSION_LIFETIME_SECONDS": session_lifetime,
        "PERMANENT_SESSION_LIFETIME": session_lifetime,
        # Strict-Transport-Security in production (0: not sent).
        "PAD_HSTS_SECONDS": _int("PAD_HSTS_SECONDS", 365 * 24 * 3600 if env == "production"
                                 else 0),
        # Sign-in attempts that fail: per account (brute force on one person) and per
        # address, with a higher ceiling (colleagues behind one office address).
        "PAD_LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("PAD_LOGIN_ACCOUNT_RATE_LIMIT",
                                                       "10 per minute; 100 per hour"),
        "PAD_LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("PAD_LOGIN_ADDRESS_RATE_LIMIT",
                                                       "50 per minute; 500 per hour"),
        "MAX_CONTENT_LENGTH": _int("PAD_MAX_UPLOAD_BYTES", 16 * 1024 * 1024),
        "PAD_ARTIFACTS_DIR": os.environ.get("PAD_ARTIFACTS_DIR"),
        # The admin's CSV import may exceed MAX_CONTENT_LENGTH, up to this.
        "PAD_MAX_IMPORT_BYTES": _int("PAD_MAX_IMPORT_BYTES", 64 * 1024 * 1024),
        # Flask-Limiter's store: memory (per process) unless a shared one is configured
        # (redis://...: one count for every process and node).
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "memory://",
        # The client's address from a reverse proxy's headers, N proxies deep (webapp/proxy.py).
        "PAD_PROXY_HOPS": _int("PAD_PROXY_HOPS", 0),
        "RATELIMIT_HEADERS_ENABLED": True,
        # The image pages: one budget for uploads (page and JSON API), one for the occlusion
        # overlays (two per photo), and the largest photo accepted.
        "PAD_VISION_RATE_LIMIT": os.environ.get("PAD_VISION_RATE_LIMIT", "30 per minute"),
        "PAD_VISION_OVERLAY_RATE_LIMIT": os.environ.get("PAD_VISION_OVERLAY_RATE_LIMIT",
                                                        "60 per minute"),
        "PAD_VISION_MAX_BYTES": _int("PAD_VISION_MAX_BYTES", 10 * 1024 * 1024),
        "PAD_VISION_MAX_PIXELS": _int("PAD_VISION_MAX_PIXELS", 40_000_000),
        # PNG and WebP cannot be decoded at a reduced scale (JPEG can): their own ceiling
        # keeps a photo's decoding within the worker's memory budget.
        "PAD_VISION_MAX_FULL_DECODE_PIXELS": _int("PAD_VISION_MAX_FULL_DECODE_PIXELS",
                                                  16_000_000),
        # Folders of labelled photos evaluated as a job (/image/evaluer, signed-in users):
        # the largest ZIP accepted, the most photos it may hold, and how often one address
        # may send one (each costs minutes of the worker's CPU).
        "PAD_VISION_EVAL_MAX_BYTES": _int("PAD_VISION_EVAL_MAX_BYTES", 100 * 1024 * 1024),
        "PAD_VISION_EVAL_MAX_PHOTOS": _int("PAD_VISION_EVAL_MAX_PHOTOS", 1000),
        "PAD_VISION_EVAL_RATE_LIMIT": os.environ.get("PAD_VISION_EVAL_RATE_LIMIT",
                                                     "5 per minute; 30 per hour"),
        # All visitors together (every address), on top of the per-address limits.
        "PAD_VISION_GLOBAL_RATE_LIMIT": os.environ.get("PAD_VISION_GLOBAL_RATE_LIMIT",
                                                       "240 per minute"),
        # Photos decoded and classified at once in one worker (the others wait their turn).
        "PAD_VISION_CONCURRENCY": _int("PAD_VISION_CONCURRENCY", 2),
        # onnxruntime threads per process (0: every core); set it to cores / workers under
        # gunicorn so that workers do not fight for cores.
        "PAD_VISION_THREADS": _int("PAD_VISION_THREADS", 0),
        # "partial" (the default): the portal's own plotly.js bundle, compressed and cached
        # for a year; "full": the whole bundle of the plotly package, uncompressed, as before
        # (bench/page_load.py's baseline only).
        "PLOTLY_BUNDLE": os.environ.get("PAD_PLOTLY_BUNDLE", "partial"),
        # The job queue (webapp/jobs): Redis when REDIS_URL is set (several machines), else a
        # SQLite file beside the database (one machine, no server to run).
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "PAD_QUEUE_FILE": os.environ.get("PAD_QUEUE_FILE") or str(instance_path / "queue.sqlite3"),
        # The queue's name in Redis (several portals may share one server).
        "PAD_QUEUE_NAME": os.environ.get("PAD_QUEUE_NAME") or "pad",
        # This machine's folder for the jobs' temporary files.
        "PAD_JOBS_DIR": os.environ.get("PAD_JOBS_DIR") or str(instance_path / "jobs"),
        # A running job's worker beats every lease / 6; a job silent for a lease is dead.
        "PAD_JOB_LEASE_SECONDS": _int("PAD_JOB_LEASE_SECONDS", 30),
        # Jobs a worker runs at once (threads), and the processes a re-scoring scores with
        # (1: the worker alone; more only where the worker has idle cores: bench/rescore.py).
        "PAD_WORKER_THREADS": _int("PAD_WORKER_THREADS", 2),
        "PAD_RESCORE_PROCESSES": _int("PAD_RESCORE_PROCESSES", 1),
        # How often a process looks at artifacts/credit/CURRENT for a new model.
        "PAD_MODEL_CHECK_SECONDS": _int("PAD_MODEL_CHECK_SECONDS", 1),
    }
