"""Configuration from environment variables, with safe generated secrets for the embedded default."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from claims.core.storage import private_dir


def _instance_secret(instance: Path, name: str, nbytes: int = 32) -> str:
    """Read a secret from the instance folder, generating it on first run (mode 0600)."""
    path = instance / name
    if not path.exists():
        private_dir(instance)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(nbytes))
    return path.read_text().strip()


def _absolute_http_url(value: object) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)


def _flag(value: str | None, *, default: bool) -> bool:
    """An on/off setting from the environment: 1/true/yes/on or 0/false/no/off; unset or empty: the default."""
    if value is None or not value.strip():
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise RuntimeError(f"not an on/off value: {value!r} (use 1 or 0)")


def _check_map_tiles(cfg: dict[str, Any]) -> None:
    """A tile server's address becomes part of the CSP and a Tianditu key part of a URL: both are checked at start."""
    url = cfg.get("MAP_TILE_URL")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or "{" in parts.netloc:
            raise RuntimeError(f"MAP_TILE_URL must be an absolute http(s) address with a fixed host (https://host/{{z}}/{{x}}/{{y}}.png), not {url!r}")
        if not all(part in url for part in ("{z}", "{x}", "{y}")):
            raise RuntimeError(f"MAP_TILE_URL must hold {{z}}, {{x}} and {{y}}: {url!r}")
    key = cfg.get("TIANDITU_KEY")
    if key is not None and not (key.isascii() and key.isalnum()):
        raise RuntimeError("TIANDITU_KEY must be the key's letters and digits (from the Tianditu console)")


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the settings dict: defaults, then environment, then explicit overrides (tests)."""
    overrides = dict(overrides or {})
    instance = Path(overrides.get("INSTANCE_PATH", instance_path))
    env = os.environ
    production = env.get("CLAIMS_ENV", "development") == "production"
    cfg: dict[str, Any] = {
        "ENV_NAME": "production" if production else "development",
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{instance / 'claims.db'}",
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER") or str(instance / "uploads"),
        # Stored files (claims/core/storage.py): the folder UPLOAD_FOLDER unless STORAGE_URL=s3://bucket/prefix
        # names an S3-compatible store (MinIO, Ceph, Aliyun OSS, Huawei OBS, AWS). Credentials: boto3's chain
        # (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never these settings. S3_SSE: "AES256" or "aws:kms".
        "STORAGE_URL": env.get("STORAGE_URL") or None,
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": env.get("S3_REGION") or None,
        "S3_ADDRESSING_STYLE": env.get("S3_ADDRESSING_STYLE") or "auto",
        "S3_SSE": env.get("S3_SSE") or None,
        # 0: photos go through the app (after its scope check). N > 0: after the check, a redirect to a URL
        # signed for N seconds (S3 only); documents always go through the app, which checks their SHA-256.
        "STORAGE_PRESIGNED_SECONDS": int(env.get("STORAGE_PRESIGNED_SECONDS", 0)),
        # Where `flask backup create` writes: a folder, or s3://bucket/prefix (an archive object). Unset: the
        # folder ./backups, or with S3 storage, the prefix backups/ of the same bucket (a separate bucket is better).
        "BACKUP_URL": env.get("BACKUP_URL") or None,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 100 * 1024 * 1024)),
        "PHOTO_MAX_BYTES": int(env.get("PHOTO_MAX_BYTES", 20 * 1024 * 1024)),
        "PHOTO_MAX_PIXELS": int(env.get("PHOTO_MAX_PIXELS", 60_000_000)),
        "PHOTO_MAX_COUNT": 20,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_ABSOLUTE_HOURS": 12,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # The cookie is re-sent only when the session changes (every page does, through its idle
        # stamp); never on static files, whose late responses could otherwise put back an old cookie.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own lifetime bounds the token
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        # Throttling (claims/core/throttle.py): counters in Redis when REDIS_URL is set, so that every
        # worker shares them; in this process's memory otherwise (one process, or development).
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_KEY_PREFIX": "claims",
        # How many reverse proxies (nginx) stand in front and append X-Forwarded-For; 0 trusts none.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", 0)),
        # hide_parameters: a database error names the statement, never the values (names, mobiles, IDs).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Where the public reaches the app: the QR code on every document links to <this>/verify/<code>. Required
        # in production: an issued document never changes, so a missing value would leave its QR code dead for good.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL") or ("" if production else "http://127.0.0.1:5000"),
        # Each county's document signing key (claims/documents/signing.py): <code>.key.pem and <code>.cert.pem, or
        # <code>.p12, in this folder; `flask documents keys create` makes a trial key. In production a document of a
        # county without a key is not issued unsigned: its rendering job fails, and is retried, until the key is there.
        "DOCUMENT_KEYS_DIR": env.get("DOCUMENT_KEYS_DIR") or str(instance / "document-keys"),
        "DOCUMENT_SIGNING_REQUIRED": _flag(env.get("DOCUMENT_SIGNING_REQUIRED"), default=production),
        # What a township issues (receipt, correction notice, non-acceptance) is signed with the township's own key
        # ("township"), or with its county's ("county": the county signs for its townships).
        "DOCUMENT_TOWNSHIP_SIGNER": env.get("DOCUMENT_TOWNSHIP_SIGNER") or "township",
        # Text messages (claims/workflow/sms.py; `flask sms send`): "console" writes them to the log and to
        # SMS_CONSOLE_FILE; "http" posts {mobile, text} as JSON to an intranet gateway with a bearer token.
        "SMS_BACKEND": env.get("SMS_BACKEND", "console"),
        "SMS_CONSOLE_FILE": env.get("SMS_CONSOLE_FILE") or str(instance / "sms.log"),
        "SMS_HTTP_URL": env.get("SMS_HTTP_URL"),
        "SMS_HTTP_TOKEN": env.get("SMS_HTTP_TOKEN"),
        "SMS_HTTP_TIMEOUT": float(env.get("SMS_HTTP_TIMEOUT", 10)),
        # Background jobs (claims/core/jobs.py): with REDIS_URL an rq worker runs them (`flask jobs work`);
        # without it they run in this process right after the commit that recorded them.
        "REDIS_URL": env.get("REDIS_URL") or None,
        "JOBS_QUEUE": env.get("JOBS_QUEUE", "claims"),
        # `flask jobs health` and /healthz report trouble when a due job has waited longer than this.
        "JOBS_MAX_WAIT_SECONDS": int(env.get("JOBS_MAX_WAIT_SECONDS", 600)),
        # The to-do page is kept for its viewer until the data changes (claims/core/pagecache.py): at most this many
        # pages in each process (about 25 KB each), none older than PAGE_CACHE_SECONDS. 0: every page drawn afresh.
        "PAGE_CACHE_ENTRIES": int(env.get("PAGE_CACHE_ENTRIES", 1000)),
        "PAGE_CACHE_SECONDS": float(env.get("PAGE_CACHE_SECONDS", 60)),
        # Freed memory each app or worker process keeps for the next request instead of giving it back to the system
        # (glibc; claims/core/process.py): a filing's photos then reuse pages rather than fault in new ones. 0: the C
        # library's defaults.
        "MEMORY_KEPT_MB": int(env.get("MEMORY_KEPT_MB", 256)),
        # Webhooks (claims/api/webhooks.py): each attempt waits at most this long for the receiver's answer. An
        # endpoint's URL must be https:// unless WEBHOOK_ALLOW_HTTP is set (an intranet without TLS; development).
        "WEBHOOK_TIMEOUT": float(env.get("WEBHOOK_TIMEOUT", 10)),
        "WEBHOOK_ALLOW_HTTP": _flag(env.get("WEBHOOK_ALLOW_HTTP"), default=not production),
        # The incident map's base tiles (claims/reports/tiles.py): an XYZ tile server (a government intranet's), else
        # Tianditu with this key, else none (the map then shows the counties' and townships' centres, offline).
        "MAP_TILE_URL": env.get("MAP_TILE_URL") or None,
        "MAP_TILE_ATTRIBUTION": env.get("MAP_TILE_ATTRIBUTION") or "",
        "TIANDITU_KEY": env.get("TIANDITU_KEY") or None,
    }
    if env.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("FIELD_ENCRYPTION_KEY"):
        cfg["FIELD_ENCRYPTION_KEY"] = env["FIELD_ENCRYPTION_KEY"]
    cfg.update(overrides)
    if "SECRET_KEY" not in cfg:
        if production:
            raise RuntimeError("SECRET_KEY must be set in production (CLAIMS_ENV=production).")
        cfg["SECRET_KEY"] = _instance_secret(instance, "secret_key")
    if "FIELD_ENCRYPTION_KEY" not in cfg:
        if production:
            raise RuntimeError("FIELD_ENCRYPTION_KEY must be set in production (64 hex characters).")
        cfg["FIELD_ENCRYPTION_KEY"] = _instance_secret(instance, "field_key")
    if cfg["DOCUMENT_TOWNSHIP_SIGNER"] not in ("township", "county"):
        raise RuntimeError(f"DOCUMENT_TOWNSHIP_SIGNER must be township or county, not {cfg['DOCUMENT_TOWNSHIP_SIGNER']!r}")
    _check_map_tiles(cfg)
    if production and not _absolute_http_url(cfg["PUBLIC_BASE_URL"]):
        raise RuntimeError("PUBLIC_BASE_URL must be set in production (CLAIMS_ENV=production): e.g. https://buchang.example.gov.cn")
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgres://"):
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg["SQLALCHEMY_DATABASE_URI"].replace("postgres://", "postgresql+psycopg://", 1)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg["SQLALCHEMY_DATABASE_URI"].replace("postgresql://", "postgresql+psycopg://", 1)
    return cfg
