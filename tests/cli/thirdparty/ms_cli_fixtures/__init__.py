"""Plugins of a third-party package, good and faulty, for the CLI tests.

The tests copy this folder next to a ``*.dist-info`` declaring the entry points they need, so
the real ``modular-server`` command discovers these plugins as it discovers any installed one.
"""
