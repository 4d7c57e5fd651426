"""A plugin that records what the observer hooks receive, in ``app.state.host.data["spy"]``."""

from __future__ import annotations

from typing import Any

from modular_server.hooks import Change, DomainEvent, PluginSpec, QueryInfo, RequestContext, ResponseInfo, hookimpl

PLUGIN = PluginSpec(name="spy", version="1.0.0")


def seen(app: Any) -> dict[str, list[Any]]:
    return app.state.host.data["spy"]


@hookimpl
def startup(app: Any) -> None:
    app.state.host.data["spy"] = {"queries": [], "changes": [], "events": [], "requests": []}


@hookimpl
def query_executed(app: Any, query: QueryInfo) -> None:
    seen(app)["queries"].append(query)


@hookimpl
def changes_committed(app: Any, changes: list[Change]) -> None:
    seen(app)["changes"].append(list(changes))


@hookimpl
def event_published(app: Any, event: DomainEvent) -> None:
    seen(app)["events"].append(event)


@hookimpl
def request_finished(app: Any, ctx: RequestContext, response: ResponseInfo) -> None:
    seen(app)["requests"].append((ctx.route, response.status, ctx.db_statements))
