"""The core's settings: environment (MODULAR_SERVER_*), .env, modular-server.toml, defaults."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "MODULAR_SERVER_"
CONFIG_ENV = "MODULAR_SERVER_CONFIG"
DEFAULT_CONFIG_FILE = "modular-server.toml"


def config_file_path() -> Path:
    """The TOML file named by MODULAR_SERVER_CONFIG, else modular-server.toml in the cwd."""
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE))


class PluginSelection(BaseSettings):
    """Which plugins to load. ``enabled`` None means every discovered plugin."""

    model_config = SettingsConfigDict(extra="forbid")

    #: the plugins to load; unset: every discovered plugin
    enabled: list[str] | None = None
    #: plugins never loaded (and never imported)
    disabled: list[str] = Field(default_factory=list)

    def allows(self, name: str) -> bool:
        if name in self.disabled:
            return False
        return self.enabled is None or name in self.enabled


class Settings(BaseSettings):
    """Core settings. Tables of the TOML file and ``<NAME>__*`` variables for plugins are
    read by :mod:`modular_server.settings.plugins`; extra keyword arguments given here act as
    those tables (handy in tests: ``Settings(monitoring={"slow_query_ms": 5})``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="allow",
    )

    #: or ``postgresql+asyncpg://user@host/db`` (extra ``postgres``)
    database_url: str = "sqlite+aiosqlite:///./modular-server.db"
    database_replica_urls: list[str] = Field(
        default_factory=list, description="read replicas: GET routes read from them, writes use the primary"
    )
    #: PostgreSQL pool size (and as much overflow)
    database_pool_size: int = Field(default=10, ge=1, le=200)
    #: connect/lock wait; queries time out after 6x this
    database_timeout_seconds: float = Field(default=10.0, gt=0)
    database_ping_after_idle_seconds: float = Field(
        default=1.0,
        ge=0,
        description="PostgreSQL: a pooled connection unused this long is pinged before use (0: before every use)",
    )
    #: empty: no Redis; e.g. ``redis://127.0.0.1:6379/0`` (extra ``redis``)
    redis_url: str = ""
    redis_prefix: str = Field(default="ms:", description="prefix of every Redis key and channel of this deployment")
    # 0.1 s, not less: the time is taken by the event loop, so a busy server counts its own lag
    # (the load test's 64 clients on 2 cores tripped a 50 ms bound with Redis idle)
    redis_timeout_seconds: float = Field(default=0.1, gt=0, description="per Redis call; Redis is an accelerator")
    redis_retry_seconds: float = Field(
        default=2.0, gt=0, description="after a Redis failure, in-process fallbacks are used this long before a retry"
    )
    #: upgrade the schema at startup, or refuse to start saying which command to run;
    #: unset: on for SQLite, off otherwise
    auto_migrate: bool | None = None
    #: where plugins keep files (e.g. the anomaly models)
    data_dir: Path = Path("modular-server-data")

    #: which plugins load (``enabled``: None = all; ``disabled``); a disabled plugin is never imported
    plugins: PluginSelection = Field(default_factory=PluginSelection)
    #: any enabled plugin that does not become active stops startup (exit non-zero, full report)
    strict_plugins: bool = False
    #: per-plugin limit for ``startup``/``shutdown``
    startup_timeout_seconds: float = Field(default=15.0, gt=0)
    #: consecutive failures of one observer hook before its plugin is switched to ``degraded``
    observer_failure_limit: int = Field(default=5, ge=1)
    observer_timeout_seconds: float = Field(default=2.0, gt=0, description="bound of an observer's awaitable")
    observer_blocking_limit_seconds: float = Field(
        default=0.25, gt=0, description="a synchronous observer call taking longer counts as a failure"
    )

    #: how long a verified key is remembered in process (revocation from another process
    #: takes up to this long)
    api_key_cache_seconds: float = Field(default=30.0, ge=0)
    #: larger request bodies answer 413
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: origins allowed by CORS; empty: CORS closed
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=0, ge=0, description="per API key; 0 switches rate limiting off")
    #: tokens a key may spend at once before the per-minute rate applies
    rate_limit_burst: int = Field(default=60, ge=1)
    #: never hand SQL parameter values to hooks or logs unless set
    log_sql_parameters: bool = False
    # Which tables are audited is declared by their plugins (`audited_tables` in plugin.toml);
    # these two only adjust that for one deployment.
    audit_extra_tables: list[str] = Field(
        default_factory=list,
        description="tables audited in addition to api_key and those the active plugins declare",
    )
    audit_excluded_tables: list[str] = Field(
        default_factory=list, description="tables not audited although their plugin declares them"
    )
    audit_tables: list[str] | None = Field(
        default=None,
        description="deprecated (use audit_extra_tables / audit_excluded_tables): when set, exactly "
        "these tables are audited, whatever the plugins declare",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs pagination cursors; required on PostgreSQL and with several workers (the same "
        "value on every instance); unset on SQLite: generated once into <data_dir>/secret_key",
    )

    #: for ``modular-server serve``
    host: str = "127.0.0.1"
    #: for ``modular-server serve``
    port: int = Field(default=8000, ge=1, le=65535)
    #: for ``modular-server serve``: worker processes
    workers: int = Field(default=1, ge=1, le=64)
    #: the lowest level logged; ``debug`` also makes the command line print the traceback of a
    #: failure (as ``--debug`` does): set it while investigating a problem, ``info`` otherwise
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: ``json`` prints one object per line with the request id
    log_format: Literal["text", "json"] = "text"

    @model_validator(mode="after")
    def _warn_deprecated(self) -> Settings:
        if "audit_tables" in self.model_fields_set:
            warnings.warn(
                "the setting audit_tables is deprecated and will be removed in 0.3: plugins declare their "
                "audited tables; adjust them with audit_extra_tables and audit_excluded_tables",
                DeprecationWarning,
                stacklevel=2,
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///<file> or postgresql+asyncpg://<user>@<host>/<db>")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # precedence: explicit arguments > environment > .env > TOML file > defaults
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return (init_settings, env_settings, dotenv_settings, toml)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def migrate_on_startup(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    def plugin_table(self, name: str) -> dict[str, Any]:
        """The ``[name]`` table of the TOML file (or the keyword argument of that name)."""
        value = (self.model_extra or {}).get(name)
        return dict(value) if isinstance(value, dict) else {}
