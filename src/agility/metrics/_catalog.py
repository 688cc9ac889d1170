"""What metrics exist and what each needs: the library behind ``agility metrics list``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agility._options import allowed_options
from agility.errors import UsageError
from agility.metrics._base import available_metrics, metric_class, registered_source

__all__ = ["MetricInfo", "describe_metrics"]


class MetricInfo(BaseModel):
    """One registered metric, as ``agility metrics list`` shows it.

    ``judge`` is ``required`` (always judged by a model), ``optional`` (in some mode, such as
    ``mode=llm``) or ``no``. A metric whose class cannot be loaded (a broken third-party
    package) is listed with ``error`` set and its other fields empty. A former name kept
    only so its stored scores stay readable has ``renamed_to`` set: it cannot be scored.
    """

    name: str
    kind: str | None = None
    version: str | None = None
    judge: Literal["required", "optional", "no"] | None = None
    contexts: bool | None = None
    embeddings: bool | None = None
    ground_truth: bool | None = None
    options: list[str] = []
    source: str
    summary: str = ""
    error: str | None = None
    renamed_to: str | None = None


def _summary(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def describe_metrics() -> list[MetricInfo]:
    """Every metric known by name (built-in, registered, entry point), sorted by name.

    A family such as ``ragas:*`` is listed as ``ragas:<metric>``.
    """
    infos = []
    for name in available_metrics():
        shown = name.replace(":*", ":<metric>")
        source = registered_source(name)
        try:
            cls = metric_class(name)
        except UsageError as exc:
            infos.append(MetricInfo(name=shown, source=source, error=str(exc)))
            continue
        judge: Literal["required", "optional", "no"] = (
            "required" if cls.requires_judge else "optional" if cls.accepts_judge() else "no")
        infos.append(MetricInfo(
            name=shown, kind=cls.kind, version=cls.version, judge=judge,
            contexts=cls.requires_contexts, embeddings=cls.requires_embeddings,
            ground_truth=cls.requires_ground_truth,
            options=[o for o in allowed_options(cls.Options) if o != "metric_name"],
            source=source, summary=_summary(cls.__doc__), renamed_to=cls.renamed_to))
    return infos
