"""The core's settings: environment (MODULAR_SERVER_*), .env, modular-server.toml, defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
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

    enabled: list[str] | None = None
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

    database_url: str = "sqlite+aiosqlite:///./modular-server.db"
    database_replica_urls: list[str] = Field(
        default_factory=list, description="read replicas: GET routes read from them, writes use the primary"
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_timeout_seconds: float = Field(default=10.0, gt=0)
    redis_url: str = ""
    redis_prefix: str = Field(default="ms:", description="prefix of every Redis key and channel of this deployment")
    redis_timeout_seconds: float = Field(default=0.05, gt=0, description="per Redis call; Redis is an accelerator")
    redis_retry_seconds: float = Field(
        default=2.0, gt=0, description="after a Redis failure, in-process fallbacks are used this long before a retry"
    )
    auto_migrate: bool | None = None
    data_dir: Path = Path("modular-server-data")

    plugins: PluginSelection = Field(default_factory=PluginSelection)
    strict_plugins: bool = False
    startup_timeout_seconds: float = Field(default=15.0, gt=0)
    observer_failure_limit: int = Field(default=5, ge=1)
    observer_timeout_seconds: float = Field(default=2.0, gt=0, description="bound of an observer's awaitable")
    observer_blocking_limit_seconds: float = Field(
        default=0.25, gt=0, description="a synchronous observer call taking longer counts as a failure"
    )

    api_key_cache_seconds: float = Field(default=30.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=0, ge=0, description="per API key; 0 switches rate limiting off")
    rate_limit_burst: int = Field(default=60, ge=1)
    log_sql_parameters: bool = False
    audit_tables: list[str] = Field(
        default_factory=lambda: [
            "lagerbewegung",
            "lager_chargen_reservierung",
            "charge",
            "charge_herkunft",
            "artikel",
            "einheit",
            "lager",
            "lagerort",
            "api_key",
        ],
        description="tables whose every change is recorded in the audit log",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs pagination cursors; required on PostgreSQL and with several workers (the same "
        "value on every instance); unset on SQLite: generated once into <data_dir>/secret_key",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

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
