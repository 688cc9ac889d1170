"""Imports the modules that register agility's built-in metrics (one line per module)."""
from agility.metrics import _text, _overlap, _jsonschema, _refusal, _correctness  # noqa: F401,E401
from agility.metrics import _embedding, _judge, _rag, _adapters  # noqa: F401,E401
