"""Plugins that fail in every phase (see the README of this distribution)."""
