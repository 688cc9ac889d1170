"""The worked examples shipped with agility: their data folders (``finance_rag/``, copied by
``agility demo``) and the application code they run as systems (:mod:`agility.examples.rag`)."""

__all__: list[str] = []
