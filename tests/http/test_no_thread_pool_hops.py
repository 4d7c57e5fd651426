"""Every endpoint and dependency of the first-party routes is a coroutine: FastAPI runs a plain
``def`` in its thread pool, and that hop (a thread handoff each way, a capacity limiter) cost a
write request more than its validation - the ``Idempotency-Key`` declaration and
``DatabaseDep`` were plain functions once. A plugin of another team may still declare blocking
work as a plain ``def``; that is what the thread pool is for."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.servers import first_party_plugins
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _runs_on_the_loop(call: Callable[..., Any]) -> bool:
    target = call if inspect.isfunction(call) or inspect.ismethod(call) else type(call).__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


async def test_first_party_routes_never_hop_to_the_thread_pool(make_app) -> None:
    async with make_app(only=first_party_plugins()) as running:
        routes = [r for r in running.app.routes if isinstance(r, APIRoute)]
        assert len(routes) > 50  # every first-party plugin's routes are mounted
        blocking = sorted(
            {
                f"{call.__module__}.{getattr(call, '__qualname__', type(call).__qualname__)} ({route.path})"
                for route in routes
                for call in _calls(route.dependant)
                if not _runs_on_the_loop(call)
            }
        )
    assert blocking == []
