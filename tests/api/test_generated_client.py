"""The OpenAPI is consumable: a typed Python client generated from it by a standard generator
(openapi-python-client) runs the core inventory workflow against a real server - artikel,
charge, eingang, FEFO reservation, fulfilment, storno - and every answer is a typed model."""

import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modular_server.core.app import create_app
from modular_server.settings import Settings
from modular_server.testing.pytest_plugin import BOTH
from modular_server.testing.server import ServerProcess, cli

PACKAGE = "ms_generated_client"


def _builtin_plugins() -> list[str]:
    return sorted(
        ep.name for ep in entry_points(group="modular_server.plugins") if ep.value.startswith("modular_server.plugins.")
    )


def _export_spec(target: Path, database_url: str) -> None:
    """The OpenAPI of an app with every plugin this distribution ships (none started)."""
    app = create_app(Settings(database_url=database_url, plugins={"enabled": _builtin_plugins()}))
    target.write_text(json.dumps(app.openapi()))


def _generate(spec: Path, output: Path) -> None:
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert generator, "openapi-python-client is in the test extra"
    config = spec.with_name("generator.yaml")
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    command = ["generate", "--path", str(spec), "--meta", "none", "--output-path", str(output)]
    done = subprocess.run(
        [generator, *command, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # a warning means an operation or model was left out of the client
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr


@pytest.fixture
def generated_client(tmp_path: Path) -> Iterator[ModuleType]:
    """The generated package, imported from tmp_path (and forgotten afterwards)."""
    spec = tmp_path / "openapi.json"
    _export_spec(spec, f"sqlite+aiosqlite:///{tmp_path / 'spec.db'}")
    package_dir = tmp_path / PACKAGE
    _generate(spec, package_dir)
    loader_spec = importlib.util.spec_from_file_location(
        PACKAGE, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    assert loader_spec is not None and loader_spec.loader is not None
    package = importlib.util.module_from_spec(loader_spec)
    sys.modules[PACKAGE] = package
    try:
        loader_spec.loader.exec_module(package)
        yield package
    finally:
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _op(tag: str, operation: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BOTH, indirect=True)
def test_a_generated_typed_client_runs_the_core_workflow(generated_client, database_url, tmp_path):
    models = importlib.import_module(f"{PACKAGE}.models")
    env = {
        "MODULAR_SERVER_DATABASE_URL": database_url,
        "MODULAR_SERVER_PLUGINS__ENABLED": json.dumps(_builtin_plugins()),
    }
    cli("db", "upgrade", env=env, cwd=tmp_path)
    key = cli("keys", "create", "--name", "client", "--scope", "admin", "--quiet", env=env, cwd=tmp_path)
    with ServerProcess(env, tmp_path) as server:
        client = generated_client.AuthenticatedClient(base_url=server.url, token=key.strip().splitlines()[-1])

        kg = _op("einheiten", "create_einheit").sync(
            client=client,
            body=models.EinheitIn(code="kg", name="Kilogramm", kategorie=models.EinheitInKategorie.GEWICHT, faktor="1"),
        )
        assert isinstance(kg, models.EinheitOut), kg
        artikel = _op("artikel", "create_artikel").sync(
            client=client, body=models.ArtikelIn(nummer="MEHL", name="Weizenmehl", einheit_id=kg.id)
        )
        assert isinstance(artikel, models.ArtikelOut), artikel
        today = date.today()
        late, early = (
            _op("chargen", "create_charge").sync(
                client=client,
                body=models.ChargeIn(artikel_id=artikel.id, nummer=f"CH-{days}", mhd=today + timedelta(days=days)),
            )
            for days in (200, 50)
        )
        assert isinstance(late, models.ChargeOut) and isinstance(early, models.ChargeOut)
        assert late.mhd == today + timedelta(days=200)  # dates arrive as date objects
        lager = _op("lager", "create_lager").sync(client=client, body=models.LagerIn(code="H", name="Halle"))
        assert isinstance(lager, models.LagerOut), lager
        ort = _op("lager", "create_lagerort").sync(
            client=client, body=models.LagerortIn(lager_id=lager.id, code="A1", name="Regal A1")
        )
        assert isinstance(ort, models.LagerortOut), ort

        book = _op("lager", "book")
        for charge in (late, early):
            eingang = book.sync(
                client=client,
                body=models.BewegungIn(
                    typ=models.BewegungInTyp.EINGANG,
                    artikel_id=artikel.id,
                    charge_id=charge.id,
                    nach_lagerort_id=ort.id,
                    menge="10",
                ),
            )
            assert isinstance(eingang, models.BewegungOut), eingang
            assert eingang.typ == models.BewegungOutTyp.EINGANG and Decimal(eingang.menge) == 10

        anfrage = _op("reservierungen", "reserve").sync(
            client=client, body=models.ReservierungIn(artikel_id=artikel.id, menge="4", referenz_id="AU-1")
        )
        assert isinstance(anfrage, models.AnfrageOut), anfrage
        assert Decimal(anfrage.reserviert) == 4
        [reservierung] = anfrage.items
        assert isinstance(reservierung, models.ReservierungOut)
        assert reservierung.charge_id == early.id  # FEFO: the earliest best-before date first
        assert reservierung.status == models.ReservierungOutStatus.AKTIV

        erfuellung = _op("reservierungen", "fulfil").sync(reservierung.id, client=client, body=models.ErfuellenIn())
        assert isinstance(erfuellung, models.ErfuellungOut), erfuellung
        assert erfuellung.reservierung.status == models.ReservierungOutStatus.ERLEDIGT
        ausgang = _op("lager", "get_bewegung").sync(erfuellung.bewegung_id, client=client)
        assert isinstance(ausgang, models.BewegungOut) and ausgang.typ == models.BewegungOutTyp.AUSGANG

        storno = _op("lager", "storno").sync(ausgang.id, client=client, body=models.StornoIn(bemerkung="Irrtum"))
        assert isinstance(storno, models.BewegungOut), storno
        assert storno.typ == models.BewegungOutTyp.STORNO and storno.storno_von_id == ausgang.id

        # the generator cannot leave out an optional body (it sends its UNSET marker): send an empty one
        again = _op("lager", "storno").sync(ausgang.id, client=client, body=models.StornoIn())
        assert isinstance(again, models.Problem), again  # a typed problem document, not an exception
        assert again.status == 409 and again.type_.startswith("urn:modular-server:problem:")

        stock = _op("chargen", "verfuegbarkeit").sync(artikel.id, client=client)
        assert isinstance(stock, models.VerfuegbarkeitOut), stock
