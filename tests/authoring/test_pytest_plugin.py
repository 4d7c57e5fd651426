"""The modular_server pytest plugin configures itself: a plugin team's tests run with no pytest
configuration of their own (async tests and fixtures, markers), and their own config still wins."""

from __future__ import annotations

import textwrap

from tests.authoring.support import run_pytest

ASYNC_TESTS = textwrap.dedent(
    """
    import asyncio

    import pytest


    @pytest.fixture
    async def answer():
        await asyncio.sleep(0)
        return 42


    @pytest.mark.postgres
    @pytest.mark.redis
    @pytest.mark.slow
    async def test_async_fixture_and_markers(answer):
        assert answer == 42


    async def test_runs_in_a_loop():
        assert asyncio.get_running_loop().is_running()


    def test_the_fixtures_are_there(backend, settings_factory):
        assert backend == "sqlite"
        assert settings_factory().database_url.startswith("sqlite+aiosqlite:///")
    """
)


def test_a_directory_without_configuration_runs_async_tests_with_strict_markers(tmp_path):
    (tmp_path / "test_team.py").write_text(ASYNC_TESTS)
    result = run_pytest(tmp_path, "--strict-markers", "-W", "error::pytest.PytestDeprecationWarning")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "asyncio: mode=Mode.AUTO" in result.stdout
    assert "asyncio_default_fixture_loop_scope=function" in result.stdout


def test_the_projects_own_configuration_wins(tmp_path):
    (tmp_path / "test_team.py").write_text(ASYNC_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    result = run_pytest(tmp_path)
    assert "asyncio: mode=Mode.STRICT" in result.stdout
    # strict mode: the unmarked async fixture is refused, exactly as pytest-asyncio documents
    assert result.returncode != 0
    assert "requested an async fixture" in result.stdout


def test_the_testing_extra_brings_what_plugin_tests_need():
    import importlib.metadata

    requirements = importlib.metadata.requires("modular-server") or []
    testing = {r.split(";")[0].split(">")[0].strip() for r in requirements if 'extra == "testing"' in r}
    assert {"pytest", "pytest-asyncio", "httpx", "asyncpg", "redis"} <= testing
