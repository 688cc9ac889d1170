"""Typed records that cross the store's boundary.

Records read back from the store carry their non-optional ids; what a caller hands the store
to create (``NewRun``, ``NewReview``, ``NewEvent``) has none yet. A figure that was not measured
is ``None``, never 0.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agility.chat import Message

__all__ = [
    "EventRecord",
    "MigrationRecord",
    "NewEvent",
    "NewReview",
    "NewRun",
    "ResultRecord",
    "ReviewRecord",
    "RunRecord",
    "ScoreRecord",
    "SpanRecord",
]

RunStatus = Literal["running", "finished", "interrupted", "failed"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class NewRun(_Record):
    """A run to create: one model over one dataset, with everything needed to reproduce it."""

    name: str
    dataset_hash: str | None = None
    dataset_path: str | None = None
    model_spec: str
    provider_options: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    template_hash: str | None = None
    price_table_version: str | None = None
    prices: dict[str, Any] = Field(default_factory=dict)
    tool_version: str
    repeat: int = 1
    status: RunStatus = "running"
    started_at: str
    finished_at: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class RunRecord(NewRun):
    """A stored run. ``lease_owner``/``heartbeat_s`` belong to the process writing it."""

    id: int
    lease_owner: str | None = None
    heartbeat_s: float | None = None


SpanKind = Literal["llm", "retrieval", "tool", "other"]


class SpanRecord(_Record):
    """One timed step inside an example: a model call, a retrieval, a tool call.

    ``start_ms`` is the offset from the start of the example; ``ttft_ms`` is set for model
    calls that streamed (the call's own time to first token). ``cost_usd`` is the span's own
    cost, never its children's: a query's cost is the sum over its spans. ``id`` numbers the
    spans of one example in the order they started and ``parent_id`` names the span this one
    ran inside (None: at the top), so nested spans can be told apart.
    """

    name: str
    kind: SpanKind = "other"
    start_ms: float = 0.0
    duration_ms: float | None = None
    ttft_ms: float | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    id: int | None = None
    parent_id: int | None = None


class ResultRecord(_Record):
    """One answer to one golden example (one repeat), with its measurements.

    ``ttft_ms``/``latency_ms`` time the model call (None for a cached answer, which was not
    timed now); ``end_to_end_ms`` adds the retrieval before it. ``retry_wait_ms`` is time spent
    waiting before retries and for the rate limiter, kept out of every latency figure.
    """

    example_id: str
    repeat_index: int = 0
    output: str | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    #: input tokens written to the prompt cache (Anthropic, Bedrock), as reported
    cache_write_input_tokens: int | None = None
    #: output tokens spent reasoning (OpenAI reports them; part of output_tokens)
    reasoning_tokens: int | None = None
    tokens_estimated: bool = False
    cost_usd: float | None = None
    extra_cost_usd: float | None = None
    finish_reason: str | None = None
    request_id: str | None = None
    error: str | None = None
    attempts: int = 1
    cached: bool = False
    created_at: str | None = None
    #: the messages sent to the model, rendered
    prompt: list[Message] | None = None
    #: the documents a retriever found and the model was shown (None: no retrieval step)
    contexts: list[str] | None = None
    retrieval_ms: float | None = None
    #: the retriever's own record of each document (chunk id, score, source)
    retrieved: list[dict[str, Any]] = Field(default_factory=list)
    end_to_end_ms: float | None = None
    retry_wait_ms: float | None = None
    #: timings of a cached answer when it was first made (never in latency figures)
    cached_ttft_ms: float | None = None
    cached_latency_ms: float | None = None
    #: provider-reported figures kept for the record (e.g. Bedrock's own latencyMs)
    provider_metrics: dict[str, Any] = Field(default_factory=dict)
    spans: list[SpanRecord] = Field(default_factory=list)
    #: the tool calls the answer made, in order (``{name, arguments}``); None: not recorded
    #: (a plain model call records none yet), ``[]``: recorded, no tool called
    tool_calls: list[dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (an empty answer is a success with an empty output)."""
        return self.error is None

    @property
    def prompt_text(self) -> str | None:
        """The rendered prompt as one text (messages joined), or None when not recorded."""
        if self.prompt is None:
            return None
        return "\n\n".join(f"{m.role}: {m.content}" for m in self.prompt)


class ScoreRecord(_Record):
    """One metric's judgment of one result. ``score`` is in [0, 1] when present.

    A judgment that failed has ``error`` set and no score: it is counted apart, never as 0.
    """

    example_id: str
    repeat_index: int = 0
    metric: str
    metric_version: str = "1"
    score: float | None = None
    verdict: str | None = None
    passed: bool | None = None
    reason: str | None = None
    judge_model: str | None = None
    judge_prompt_version: str | None = None
    raw: Any = None
    error: str | None = None
    created_at: str | None = None


class NewReview(_Record):
    """An expert's (SME's) judgment of one result, to record.

    A review made in a queue also names the queue, the ``side`` judged (the source's or the
    target's answer), the ``flags`` raised, the SHA-256 of the answer text it judged, and
    whether it is a lead's ``adjudication`` of reviewers who disagreed.
    """

    run_id: int
    example_id: str
    repeat_index: int = 0
    reviewer: str
    verdict: str | None = None
    score: float | None = None
    comment: str | None = None
    sampled_because: str | None = None
    created_at: str | None = None
    queue_id: int | None = None
    side: Literal["source", "target"] | None = None
    flags: list[str] = Field(default_factory=list)
    answer_hash: str | None = None
    adjudication: bool = False


class ReviewRecord(NewReview):
    """A stored review."""

    id: int


class NewEvent(_Record):
    """An audit event to append: ``kind`` is the action (``run.finish``, ``signoff.approve``),
    ``subject`` the object it acts on (a run, a plan), ``actor`` who acted (None: the
    process's actor, see ``agility.store.current_actor``)."""

    kind: str
    subject: str | None = None
    actor: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None

    @property
    def action(self) -> str:
        """What was done (the event's ``kind``)."""
        return self.kind

    @property
    def object(self) -> str | None:
        """What it was done to (the event's ``subject``)."""
        return self.subject


class EventRecord(NewEvent):
    """A stored audit event with its place in the chain.

    ``payload_sha256`` is the digest of the payload's JSON text, ``prev_hash`` the previous
    event's ``entry_hash`` and ``entry_hash`` this event's link; ``payload_purged_at`` is set
    when retention emptied the payload (its digest stays in the chain). Events written by code
    that builds the record itself may carry None for these: read them back for the chain.
    """

    id: int
    created_at: str
    payload_sha256: str | None = None
    prev_hash: str | None = None
    entry_hash: str | None = None
    payload_purged_at: str | None = None


class MigrationRecord(_Record):
    """A migration plan's lineage: what was compared, with what, and the verdict."""

    name: str
    plan_path: str | None = None
    plan_hash: str
    source_run: str | None = None
    target_run: str | None = None
    lineage: dict[str, Any] = Field(default_factory=dict)
    verdict: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
