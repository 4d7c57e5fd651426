"""``modular-server plugins new NAME [--dir D]``: generate a plugin package; no app, no database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from modular_server.authoring.generator import PluginTemplateError, generate_plugin

EXIT_USAGE = 2
HELP = "generate a new plugin package (manifest, model, migration, settings, routes, health check, tests)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the plugin's name: a lowercase Python identifier, e.g. lieferanten")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write the package (default: ./modular-server-NAME)"
    )


def generate(args: argparse.Namespace) -> int:
    target: Path = args.dir if args.dir is not None else Path.cwd() / f"modular-server-{args.name.replace('_', '-')}"
    try:
        written = generate_plugin(args.name, target)
    except PluginTemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote plugin {args.name!r} to {target} ({len(written)} files)")
    print(f"next: pip install -e '{target}[test]' && cd '{target}' && python -m pytest")
    return 0


def run(argv: Sequence[str]) -> int:
    """``argv`` after ``plugins new``; runs before (and without) the server's settings."""
    parser = argparse.ArgumentParser(prog="modular-server plugins new", description=HELP)
    configure(parser)
    return generate(parser.parse_args(argv))
