"""Imports the modules that register agility's built-in metrics (one line per module)."""
from agility.metrics import (  # noqa: F401  # noqa: F401,E401
    _adapters,
    _correctness,
    _embedding,
    _jsonschema,
    _judge,
    _overlap,
    _rag,
    _refusal,
    _text,
    _tool_calls,
)
