"""Helpers shared by the tests of several areas (conftest files keep only fixtures)."""
