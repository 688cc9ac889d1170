"""The store's schema, as an ordered list of migrations.

Each migration runs once, in order, inside one transaction; ``PRAGMA user_version`` records
how many have run. Never edit a migration that has shipped: append a new one.

Tables, by the step of the playbook that writes them:

- ``datasets``/``dataset_rows``: golden datasets by content hash, with each canonical row.
- ``runs``/``results``: one run of a model over a dataset; one result per (example, repeat).
  A run holds a lease (``lease_owner``, ``heartbeat_s``) while a process writes it.
- ``scores``: one metric's score/verdict per result, with the judge's version and raw output.
- ``response_cache``: optional cache of provider answers (off by default).
- ``reviews``: expert (SME) judgments of results.
- ``migrations``: a migration plan's lineage and verdict.
- ``events``: the append-only audit trail (every decision and change), hash-chained by a
  trigger on both backends (see ``_audit``; migration 7): time, actor, action (``kind``),
  object (``subject``), payload and its digest, the previous event's hash and its own.
- ``accounts``/``auth_sessions``/``auth_keys``: people and scripts of the web apps (review
  app, gateway admin API), their login sessions and the server's signing keys (migration 3).
- ``review_queues``/``review_items``/``review_assignments``/``review_flags``: SME review
  queues drawn from a comparison, who may review them, and the flags reviewers raise; each
  verdict is a ``reviews`` row tied to its queue, side and the hash of the answer (migration 4).
- ``embedding_cache``: sentence embeddings by model and SHA-256 of the text, base64 float32
  (migration 5; a cache, left out of store copies).
- ``canary_rollouts``/``canary_counters``: a canary rollout's stage and status, and each arm's
  counters per stage (requests, errors, latency histograms, tokens, cost, online grades)
  (migration 6).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: foundation
    """
    CREATE TABLE datasets (
        hash            TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        path            TEXT,
        schema_version  INTEGER NOT NULL,
        row_count       INTEGER NOT NULL,
        manifest_json   TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE dataset_rows (
        dataset_hash    TEXT NOT NULL REFERENCES datasets(hash) ON DELETE CASCADE,
        position        INTEGER NOT NULL,
        example_id      TEXT NOT NULL,
        row_hash        TEXT NOT NULL,
        split           TEXT,
        stratum         TEXT,
        row_json        TEXT NOT NULL,
        PRIMARY KEY (dataset_hash, example_id)
    );
    CREATE TABLE runs (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        name                 TEXT NOT NULL UNIQUE,
        dataset_hash         TEXT,
        dataset_path         TEXT,
        model_spec           TEXT NOT NULL,
        provider_options_json TEXT NOT NULL DEFAULT '{}',
        config_json          TEXT NOT NULL DEFAULT '{}',
        template_hash        TEXT,
        price_table_version  TEXT,
        prices_json          TEXT NOT NULL DEFAULT '{}',
        tool_version         TEXT NOT NULL,
        repeat               INTEGER NOT NULL DEFAULT 1,
        status               TEXT NOT NULL DEFAULT 'running',
        started_at           TEXT NOT NULL,
        finished_at          TEXT,
        meta_json            TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE results (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        example_id      TEXT NOT NULL,
        repeat_index    INTEGER NOT NULL DEFAULT 0,
        output          TEXT,
        ttft_ms         REAL,
        latency_ms      REAL,
        input_tokens    INTEGER,
        output_tokens   INTEGER,
        cached_input_tokens INTEGER,
        tokens_estimated INTEGER NOT NULL DEFAULT 0,
        cost_usd        REAL,
        extra_cost_usd  REAL,
        finish_reason   TEXT,
        request_id      TEXT,
        error           TEXT,
        attempts        INTEGER NOT NULL DEFAULT 1,
        cached          INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        extra_json      TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, example_id, repeat_index)
    );
    CREATE TABLE scores (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        example_id      TEXT NOT NULL,
        repeat_index    INTEGER NOT NULL DEFAULT 0,
        metric          TEXT NOT NULL,
        metric_version  TEXT NOT NULL DEFAULT '1',
        score           REAL,
        verdict         TEXT,
        passed          INTEGER,
        reason          TEXT,
        judge_model     TEXT,
        judge_prompt_version TEXT,
        raw_json        TEXT,
        error           TEXT,
        created_at      TEXT NOT NULL,
        PRIMARY KEY (run_id, example_id, repeat_index, metric)
    );
    CREATE INDEX scores_by_metric ON scores(run_id, metric);
    CREATE TABLE response_cache (
        key             TEXT PRIMARY KEY,
        completion_json TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE reviews (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        example_id      TEXT NOT NULL,
        repeat_index    INTEGER NOT NULL DEFAULT 0,
        reviewer        TEXT NOT NULL,
        verdict         TEXT,
        score           REAL,
        comment         TEXT,
        sampled_because TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE INDEX reviews_by_run ON reviews(run_id, example_id);
    CREATE TABLE migrations (
        name            TEXT PRIMARY KEY,
        plan_path       TEXT,
        plan_hash       TEXT NOT NULL,
        source_run      TEXT,
        target_run      TEXT,
        lineage_json    TEXT NOT NULL DEFAULT '{}',
        verdict         TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE events (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        kind            TEXT NOT NULL,
        subject         TEXT,
        actor           TEXT,
        payload_json    TEXT NOT NULL DEFAULT '{}',
        created_at      TEXT NOT NULL
    );
    CREATE INDEX events_by_subject ON events(subject, kind);
    """,
    # 2: a run's lease: the process writing it and its last heartbeat (unix seconds), so a
    # second writer is refused while the first lives and a killed run shows as interrupted
    """
    ALTER TABLE runs ADD COLUMN lease_owner TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat_s REAL;
    """,
    # 3: accounts of the web apps (review, gateway admin), login sessions, signing keys.
    # Secrets are kept only as slow (scrypt) hashes; sessions only as SHA-256 of their id.
    """
    CREATE TABLE accounts (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        name            TEXT NOT NULL UNIQUE,
        role            TEXT NOT NULL,
        secret_hash     TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        disabled_at     TEXT
    );
    CREATE TABLE auth_sessions (
        id_hash         TEXT PRIMARY KEY,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        revoked_at      TEXT
    );
    CREATE INDEX auth_sessions_by_account ON auth_sessions(account_id);
    CREATE TABLE auth_keys (
        name            TEXT PRIMARY KEY,
        key_hex         TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    """,
    # 4: SME review queues, assignments, verdicts tied to a queue and answer, flags
    """
    CREATE TABLE review_queues (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        name            TEXT NOT NULL UNIQUE,
        source_run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target_run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        settings_json   TEXT NOT NULL DEFAULT '{}',
        created_by      TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE review_items (
        queue_id        INTEGER NOT NULL REFERENCES review_queues(id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,
        example_id      TEXT NOT NULL,
        repeat_index    INTEGER NOT NULL DEFAULT 0,
        reasons_json    TEXT NOT NULL DEFAULT '[]',
        required_reviews INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (queue_id, example_id)
    );
    CREATE TABLE review_assignments (
        queue_id        INTEGER NOT NULL REFERENCES review_queues(id) ON DELETE CASCADE,
        account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_at      TEXT NOT NULL,
        PRIMARY KEY (queue_id, account_id)
    );
    ALTER TABLE reviews ADD COLUMN queue_id INTEGER REFERENCES review_queues(id) ON DELETE CASCADE;
    ALTER TABLE reviews ADD COLUMN side TEXT;
    ALTER TABLE reviews ADD COLUMN flags_json TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE reviews ADD COLUMN answer_hash TEXT;
    ALTER TABLE reviews ADD COLUMN adjudication INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX reviews_by_queue ON reviews(queue_id, example_id);
    CREATE TABLE review_flags (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        review_id       INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
        queue_id        INTEGER NOT NULL REFERENCES review_queues(id) ON DELETE CASCADE,
        example_id      TEXT NOT NULL,
        side            TEXT NOT NULL,
        kind            TEXT NOT NULL,
        raised_by       TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        resolved_by     TEXT,
        resolved_at     TEXT,
        resolution      TEXT
    );
    CREATE INDEX review_flags_by_queue ON review_flags(queue_id, resolved_at);
    """,
    # 5: embeddings by (model, SHA-256 of the text), so scoring encodes a text once across
    # runs and metrics (ground truths repeat in every run of a dataset). A cache: not copied.
    """
    CREATE TABLE embedding_cache (
        model           TEXT NOT NULL,
        text_hash       TEXT NOT NULL,
        vector          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        PRIMARY KEY (model, text_hash)
    );
    """,
    # 6: canary rollouts (stage, status, sign-offs) and per-stage, per-arm counters
    """
    CREATE TABLE canary_rollouts (
        name             TEXT PRIMARY KEY,
        plan_hash        TEXT NOT NULL,
        status           TEXT NOT NULL,
        stage            INTEGER NOT NULL,
        percent          REAL NOT NULL,
        epoch            INTEGER NOT NULL,
        stage_started_at TEXT NOT NULL,
        signoffs_json    TEXT NOT NULL DEFAULT '[]',
        version          INTEGER NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    );
    CREATE TABLE canary_counters (
        rollout     TEXT NOT NULL REFERENCES canary_rollouts(name) ON DELETE CASCADE,
        epoch       INTEGER NOT NULL,
        arm         TEXT NOT NULL,
        stage       INTEGER NOT NULL,
        percent     REAL NOT NULL,
        requests    INTEGER NOT NULL DEFAULT 0,
        errors      INTEGER NOT NULL DEFAULT 0,
        counts_json TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (rollout, epoch, arm)
    );
    """,
    # 7: the audit chain: each event links to the one before it by hash. The trigger that
    # chains every insert differs per backend, so the store installs it after this script
    # (``_audit.chain_setup``), then chains the events already stored (AUDIT_CHAIN_STEP).
    # A purged payload keeps its digest, so the chain still verifies after retention.
    """
    ALTER TABLE events ADD COLUMN payload_sha256 TEXT;
    ALTER TABLE events ADD COLUMN prev_hash TEXT;
    ALTER TABLE events ADD COLUMN entry_hash TEXT;
    ALTER TABLE events ADD COLUMN payload_purged_at TEXT;
    CREATE INDEX events_by_time ON events(created_at);
    """,
]

#: the migration (1-based version) that adds the chain's columns: the store then installs the
#: backend's chain trigger and chains the events already stored
AUDIT_CHAIN_STEP = 7

SCHEMA_VERSION = len(MIGRATIONS)
