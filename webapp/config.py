"""Configuration with safe defaults; secrets come from the environment or the instance folder."""

from __future__ import annotations

import os
from datetime import timedelta

DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused in production, see create_app


class Config:
    """Defaults for development on the embedded SQLite database."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # None means "the SQLite file in the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SESSION_COOKIE_NAME = "showroom_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "showroom_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    # Server-side session records (auth.models.UserSession) enforce these.
    SESSION_IDLE_TIMEOUT = timedelta(hours=int(os.environ.get("SESSION_IDLE_HOURS", "10")))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(days=int(os.environ.get("SESSION_ABSOLUTE_DAYS", "7")))

    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a showroom shift; offline replays re-login anyway

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Failures only: per account name (then even the right password waits), and per address
    # for real accounts and for unknown names apart, which refuse wrong credentials only:
    # see auth.services.log_in.
    LOGIN_LIMIT_ACCOUNT = os.environ.get("LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_ADDRESS = os.environ.get("LOGIN_LIMIT_ADDRESS", "60 per 15 minutes")
    LOGIN_LIMIT_UNKNOWN = os.environ.get("LOGIN_LIMIT_UNKNOWN", "60 per 15 minutes")
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted; 0 trusts none.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))

    # argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1). argon2-cffi's default
    # (64 MiB, p=4) adds 64 MB to a worker's peak memory at every login, for little gain on
    # a showroom LAN behind login throttling.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1

    SEND_FILE_MAX_AGE_DEFAULT = timedelta(hours=1)
    # Compress HTML, CSS, JS and JSON in the app, so a bare gunicorn is measured compressed
    # too; a reverse proxy that compresses may take this over (COMPRESS_REGISTER=False).
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
    # Brotli quality 1, brotli's one-pass compressor: the card box audit's 64 KB of HTML
    # compresses in ~0.07 ms instead of ~0.19 ms at 3 and ~0.54 ms at 5, to 7.9 KB instead of
    # 7.3 and 6.1 KB; a few hundred bytes more are nothing on a showroom LAN, and the server's
    # CPU per request is what every tablet waits on (bench/README.md).
    COMPRESS_BR_LEVEL = 1
    COMPRESS_REGISTER = os.environ.get("COMPRESS_IN_APP", "1") == "1"
    # Benchmarks read X-SQL-Count (see webapp/instrument.py).
    SQL_COUNT_HEADER = os.environ.get("SQL_COUNT_HEADER") == "1"
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PAGE_SIZE = 25

    # Offline sync and the encrypted blob store (webapp/sync). None: inside the instance
    # folder (instance/blobs; the key in instance/blob.key, made with 0600 on first use).
    BLOB_DIR = os.environ.get("BLOB_DIR")
    # base64 (urlsafe) of 32 random bytes; never stored in the database.
    BLOB_KEY = os.environ.get("BLOB_KEY")
    BLOB_MAX_BYTES = 2 * 1024 * 1024
    # More is a decompression ("pixel") bomb: a tablet's photo, compressed before it is
    # sent, is at most 12 MP, and a 40 MP PNG of 150 KB took 2.6 s and 160 MB to decode.
    BLOB_MAX_PIXELS = 16_000_000
    # Images of one person decoded at once, across all workers (more answer 429).
    BLOB_DECODES_PER_USER = 2
    BLOB_LONG_EDGE = 1920
    # Entries per push: a tablet back from a day offline sends its backlog in few requests.
    SYNC_MAX_ENTRIES = 200
    SYNC_MAX_BYTES = 256 * 1024
    # PIPL: licence copies and signatures are kept this many days after the drive.
    LICENCE_RETENTION_DAYS = int(os.environ.get("LICENCE_RETENTION_DAYS", "180"))
    # Viewing a licence copy or a signature needs a password entered this recently.
    RECENT_LOGIN_MINUTES = int(os.environ.get("RECENT_LOGIN_MINUTES", "15"))

    # Web Push (webapp/push). None: instance/vapid_private.pem, made by `flask push init`.
    VAPID_PRIVATE_KEY_FILE = os.environ.get("VAPID_PRIVATE_KEY_FILE")
    # The contact push services may use about our sends (RFC 8292 "sub").
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:it@showroom.example")
    PUSH_TTL = int(os.environ.get("PUSH_TTL", "3600"))  # seconds; never 0
    PUSH_CONNECT_TIMEOUT = float(os.environ.get("PUSH_CONNECT_TIMEOUT", "5"))
    PUSH_READ_TIMEOUT = float(os.environ.get("PUSH_READ_TIMEOUT", "10"))
    PUSH_MAX_ATTEMPTS = 6
    PUSH_RETRY_BASE = 30  # seconds, doubled per attempt unless Retry-After says otherwise
    PUSH_RETRY_MAX = 3600
    PUSH_LEASE_SECONDS = 120  # a claimed batch is retried after this if its worker died
    # Only for tests or a push relay on the LAN: accept http and private endpoint addresses.
    PUSH_ALLOW_LOCAL_ENDPOINTS = False
    # How often the nav badge asks for the unread count (htmx polling), in seconds.
    INBOX_POLL_SECONDS = 3
    # Display cars not ready by this local time (Asia/Shanghai) show red on "store today".
    STORE_OPENS_AT = os.environ.get("STORE_OPENS_AT", "09:00")
    # Visits still open at this local time show as needing attention on "store today".
    STORE_CLOSES_AT = os.environ.get("STORE_CLOSES_AT", "18:00")
    # Scheduled jobs (`flask jobs run`), local times (Asia/Shanghai): the day's delivery
    # digest goes out from DIGEST_AT, the reminder of unfinished preparation for tomorrow's
    # deliveries from PREP_REMINDER_AT.
    DIGEST_AT = os.environ.get("DIGEST_AT", "08:00")
    PREP_REMINDER_AT = os.environ.get("PREP_REMINDER_AT", "17:00")
    # Step ⑧: from FOLLOWUP_AT each store's daily follow-up work runs once (the tasks its rules
    # call for, the escalation of what stays overdue, the overdue notices).
    FOLLOWUP_AT = os.environ.get("FOLLOWUP_AT", "07:30")


class ProductionConfig(Config):
    """Production: Secure cookies, the secret must come from the environment."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestConfig(Config):
    """Tests: cheap argon2 (still argon2id), fresh secret, rate limits in memory."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    RATELIMIT_STORAGE_URI = "memory://"


CONFIGS = {"development": Config, "production": ProductionConfig, "test": TestConfig}
