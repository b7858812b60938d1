"""One typed settings object for a Canary process.

Built once at start-up (``Settings()`` reads ``CANARY_*`` variables) and passed in; nothing below the
composition root reads ``os.environ``. The defaults are the embedded mode: a SQLite file under
``./var/`` and the in-process bus. Setting ``CANARY_DATABASE_URL=postgresql://…`` and
``CANARY_REDIS_URL=redis://…`` switches to the production shape.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDED_DATABASE_URL = "sqlite:///./var/canary.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CANARY_", extra="ignore", frozen=True)

    # Storage. The application URL connects as the non-superuser role that row-level security binds;
    # the admin URL (owner of the schema) runs migrations and creates that role.
    database_url: SecretStr = SecretStr(EMBEDDED_DATABASE_URL)
    database_admin_url: SecretStr | None = None
    app_db_role: str = "canary_app"
    app_db_password: SecretStr = SecretStr("canary_app")
    database_pool_size: int = Field(default=10, ge=1, le=200)

    # Stream bus: no URL means the in-process bus (embedded mode).
    redis_url: SecretStr | None = None
    bus_prefix: str = "canary:"
    bus_max_len: int = Field(default=1_000_000, ge=1_000)

    # Keys. In embedded mode a missing key is generated once into var/ (mode 0600); production must
    # provide them, because a key that changes on restart would make stored payloads unreadable.
    var_dir: Path = Path("./var")
    master_key: SecretStr | None = None
    ledger_signing_key: SecretStr | None = None
    ledger_key_name: str = "canary-ledger"
    # Witnessed checkpoints (core/ledger/witness.py): a directory on storage the database's operators
    # cannot rewrite; unset, `canary verify` trusts the checkpoints in the database (docs/ledger.md).
    witness_dir: Path | None = None

    # Ingress.
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    dedup_window_hours: int = Field(default=24, ge=1)
    # `canary serve` shares one commit among webhooks that arrive within this many milliseconds
    # (core/ingest/group_commit.py; a 2xx still follows the commit). 0 commits each on its own.
    ingress_group_commit_ms: float = Field(default=2.0, ge=0.0, le=50.0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65_535)
    # Where clients reach this deployment (behind a proxy: its public https URL); the MCP servers'
    # RFC 9728 metadata names their resource from it, never from a request's Host header.
    public_base_url: str | None = None

    # Workers.
    worker_batch_size: int = Field(default=200, ge=1, le=10_000)
    worker_block_ms: int = Field(default=1_000, ge=0)
    # Under load, how long a worker lets its next batch gather after a read of less than a full
    # batch (core/workers/runner.py); after an idle read, none. 0 reads again at once.
    worker_linger_ms: int = Field(default=50, ge=0, le=1_000)
    worker_claim_idle_ms: int = Field(default=30_000, ge=0)
    worker_max_deliveries: int = Field(default=5, ge=1)
    inbox_sweep_after_seconds: int = Field(default=60, ge=1)
    # `canary health` and /metrics alarm when a stage leaves work undone this long (core/pipeline/alarms.py).
    stage_stuck_after_seconds: int = Field(default=300, ge=1)

    # Vendor APIs (polling, and Square order enrichment when a merchant has an access token).
    square_api_base_url: str = "https://connect.squareup.com"
    square_api_version: str = "2025-08-20"

    # MCP and agents.
    merchant_id: str | None = None
    # Who a local stdio server's writes are audit-logged for (the person who approved them in Fox).
    actor: str | None = Field(default=None, max_length=64, pattern=r"^[\w.@-]+$")
    agent_model: str | None = None

    # Email (the case digest, `canary digest --send`; docs/fox.md). No host: nothing is sent.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_starttls: bool = True  # upgrade the connection before authenticating (port 587)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "canary@localhost"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level: use one of {', '.join(LOG_LEVELS)}")
        return level

    @property
    def is_postgres(self) -> bool:
        return self.database_url.get_secret_value().startswith(("postgresql", "postgres:"))

    @property
    def is_embedded(self) -> bool:
        return not self.is_postgres and self.redis_url is None

    def admin_database_url(self) -> str:
        chosen = self.database_admin_url or self.database_url
        return chosen.get_secret_value()
