"""What went wrong when a plugin's import raised: the state, a reason and a concrete hint.

A missing third-party package imported at the top of the plugin is a missing dependency
(naming the package to install), a missing plugin module a broken installation, anything else
an import error pointing at the plugin's own file and line."""

from __future__ import annotations

from modular_server.core.sources import PluginSource
from modular_server.core.states import PluginState


def describe_import_failure(source: PluginSource, exc: Exception) -> tuple[PluginState, str, str]:
    """State, reason and a concrete hint for a plugin whose import raised ``exc``."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        own = source.module
        if own and (own == exc.name or own.startswith(exc.name + ".")):
            return (
                PluginState.IMPORT_ERROR,
                f"the plugin module {exc.name!r} does not exist",
                f"reinstall the distribution of {source.name!r}; its entry point is {source.origin}",
            )
        if not own or top != own.split(".")[0]:
            return (
                PluginState.MISSING_DEPENDENCY,
                f"missing Python package {top!r} (imported by {source.origin or source.name})",
                f"pip install {top}  (or the distribution that provides {top!r}); "
                "the plugin should declare it in its requirements",
            )
    where = _traceback_location(exc, source)
    return (
        PluginState.IMPORT_ERROR,
        f"{type(exc).__name__}: {exc}",
        f"fix the import error in {source.origin}" + (f" (raised at {where})" if where else ""),
    )


def _traceback_location(exc: BaseException, source: PluginSource) -> str:
    """``file:line`` of the innermost frame of the plugin's own code in ``exc``'s traceback."""
    top = (source.module or "").split(".")[0]
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if top and (module == top or module.startswith(top + ".")):
            found = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
