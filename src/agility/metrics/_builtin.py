"""Imports the modules that register agility's built-in metrics (one line per module)."""
from agility.metrics import _text, _overlap, _jsonschema, _refusal, _correctness  # noqa: F401,E401
