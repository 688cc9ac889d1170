"""Imports the modules that register agility's built-in metrics (one line per module)."""
