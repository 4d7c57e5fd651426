"""The server's secret key (signs pagination cursors): never the public default in a deployment.

* ``secret_key`` set: used as given.
* Not set, embedded SQLite, one worker: a random key generated once per installation and kept
  in ``<data_dir>/secret_key`` (mode 0600), so cursors survive restarts and no two
  installations share a key.
* Not set, PostgreSQL or several workers: the server refuses to start
  (:class:`InsecureSecretKey`): every instance must sign with the same, private key.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from modular_server.settings import Settings

log = logging.getLogger("modular_server")

#: the value older versions used as the default; treated like "not set"
PUBLIC_DEFAULT = "change-me-in-production"
SECRET_FILE = "secret_key"


class InsecureSecretKey(RuntimeError):
    """The server would sign with a key that is not private to this deployment."""


def has_own_secret(settings: Settings) -> bool:
    value = settings.secret_key.get_secret_value() if settings.secret_key is not None else ""
    return bool(value) and value != PUBLIC_DEFAULT


def require_own_secret(settings: Settings, workers: int) -> None:
    """Refuse to serve on PostgreSQL or with several workers while ``secret_key`` is not set."""
    if has_own_secret(settings):
        return
    if not settings.is_sqlite or workers > 1:
        where = "on PostgreSQL" if not settings.is_sqlite else f"with {workers} workers"
        raise InsecureSecretKey(
            f"secret_key is not set; {where} every instance must share a private one: "
            "set MODULAR_SERVER_SECRET_KEY to the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )


def secret_key(settings: Settings) -> str:
    """The key this app signs with (see the module's docstring)."""
    if has_own_secret(settings):
        assert settings.secret_key is not None
        return settings.secret_key.get_secret_value()
    if settings.is_sqlite:
        return installation_secret(settings.data_dir)
    # an embedded app on PostgreSQL (tests, scripts): private, but lost with the process;
    # `serve` refuses this case before it gets here
    log.warning("secret_key is not set: pagination cursors of this process are signed with a random key")
    return secrets.token_urlsafe(32)


def installation_secret(data_dir: Path) -> str:
    """The key kept in ``data_dir``: created once (mode 0600), read from then on."""
    path = data_dir / SECRET_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two processes start at once, one creates the file and both read it
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(handle, "w") as file:
        file.write(secrets.token_urlsafe(32))
    return _read(path)


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise InsecureSecretKey(f"{path} is empty; delete it to have a new key generated")
    return value
