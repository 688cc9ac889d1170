"""`agility review ...`: SME review queues, accounts, the web app and exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agility.cli._common import StoreOption, console, err_console, handle_errors, open_store

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()

review_app = typer.Typer(help="SME review: queues drawn by the playbook's sample, a web app "
                              "for the experts, agreement with the automated metrics.",
                         no_args_is_help=True)
queue_app = typer.Typer(help="Review queues.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts of the review app.", no_args_is_help=True)
review_app.add_typer(queue_app, name="queue")
review_app.add_typer(user_app, name="user")
app.add_typer(review_app, name="review")


@queue_app.command("create")
@handle_errors
def queue_create(
    name: Annotated[str, typer.Argument(help="The queue's name.")],
    comparison: Annotated[tuple[str, str], typer.Option(
        "--comparison", help="SOURCE_RUN TARGET_RUN: the compared runs to sample from.")],
    metric: Annotated[str, typer.Option(help="Metric whose failures and passes are sampled.")
                      ] = "correctness",
    failure_share: Annotated[float, typer.Option(help="Share of target failures (0.10 = 10%).",
                                                 min=0, max=1)] = 0.10,
    pass_share: Annotated[float, typer.Option(help="Share of target passes.", min=0, max=1)
                          ] = 0.02,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
    per_reviewer: Annotated[int | None, typer.Option(
        "--per-reviewer", help="At most N items per reviewer.", min=1)] = None,
    overlap: Annotated[float, typer.Option(
        help="Share of items given to two reviewers (inter-reviewer agreement).", min=0, max=1)
    ] = 0.0,
    store: StoreOption = None,
) -> None:
    """Draw the playbook's review sample of a comparison into a new queue."""
    from agility.review import ReviewPolicy, create_queue

    policy = ReviewPolicy(metric=metric, failure_share=failure_share, pass_share=pass_share,
                          seed=seed, per_reviewer=per_reviewer, overlap=overlap)
    with open_store(store, existing=True) as db:
        queue = create_queue(db, name, comparison[0], comparison[1], policy, actor="cli")
        items = db.queue_items(queue.id)
    reasons: dict[str, int] = {}
    for item in items:
        for reason in item.reasons:
            reasons[reason] = reasons.get(reason, 0) + 1
    detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) or "nothing to review"
    console.print(f"queue {escape(name)}: {len(items)} items ({detail}); "
                  f"{sum(i.required_reviews > 1 for i in items)} need two reviewers",
                  highlight=False, soft_wrap=True)


@queue_app.command("list")
@handle_errors
def queue_list(store: StoreOption = None) -> None:
    """List the review queues with their items and reviewers."""
    with open_store(store, existing=True) as db:
        for queue in db.list_queues():
            items = db.queue_items(queue.id)
            reviewers = ", ".join(db.queue_reviewers(queue.id)) or "no reviewer"
            console.print(f"{escape(queue.name)}: {len(items)} items, "
                          f"{escape(queue.settings.get('source_run', '?'))} -> "
                          f"{escape(queue.settings.get('target_run', '?'))}, {escape(reviewers)}",
                          highlight=False, soft_wrap=True)


@queue_app.command("assign")
@handle_errors
def queue_assign(queue: Annotated[str, typer.Argument(help="The queue.")],
                 user: Annotated[str, typer.Argument(help="The account.")],
                 store: StoreOption = None) -> None:
    """Give an account access to a queue."""
    from agility.review import assign_reviewer

    with open_store(store) as db:
        added = assign_reviewer(db, queue, user, actor="cli")
    console.print(f"{escape(user)} {'now reviews' if added else 'already reviews'} "
                  f"{escape(queue)}", highlight=False, soft_wrap=True)


@user_app.command("add")
@handle_errors
def user_add(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    role: Annotated[str, typer.Option(help="reviewer (judges assigned queues) or lead "
                                           "(every queue, adjudicates, resolves flags).")
                    ] = "reviewer",
    queue: Annotated[list[str] | None, typer.Option(
        "--queue", help="Assign this queue (repeatable).")] = None,
    store: StoreOption = None,
) -> None:
    """Create an account; its one-time secret is printed alone on the last line."""
    from agility.auth import add_account
    from agility.review import REVIEW_ROLES, assign_reviewer

    with open_store(store) as db:
        for name_of_queue in queue or []:  # check every queue before creating anything
            if db.get_queue(name_of_queue) is None:
                from agility.errors import UnknownName

                raise UnknownName("review queue", name_of_queue,
                                  [q.name for q in db.list_queues()], argument="queue")
        account, secret = add_account(db, name, role, roles=REVIEW_ROLES, actor="cli")
        for name_of_queue in queue or []:
            assign_reviewer(db, name_of_queue, name, actor="cli")
    assigned = f", queues: {', '.join(queue)}" if queue else ""
    err_console.print(f"account {escape(account.name)} ({escape(account.role)}{escape(assigned)})"
                      f" created. Its secret is shown once, below: use it to log in, or as "
                      f"'Authorization: Bearer SECRET'.", highlight=False, soft_wrap=True)
    typer.echo(secret)


@review_app.command("serve")
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).", min=0, max=65535)
                    ] = 8000,
    store: StoreOption = None,
) -> None:
    """Serve the review app (needs the 'web' extra)."""
    from agility.errors import MissingExtraError

    try:
        import uvicorn

        from agility._serving import bind, serving, url_of
        from agility.review.web import create_app
    except ImportError as exc:
        raise MissingExtraError(exc.name or "starlette", "web", "the review app") from exc
    with open_store(store) as db:
        sock = bind(host, port)  # before the line below: a taken port is one error, exit 2
        try:
            app = create_app(db)
            err_console.print(f"review app on {escape(url_of(host, sock))}/ (store "
                              f"{escape(str(db.path))}); Ctrl-C stops it", highlight=False,
                              soft_wrap=True)
            config = uvicorn.Config(app, log_level="warning", access_log=False)
            with serving():
                uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()


@review_app.command("export")
@handle_errors
def export(
    queue: Annotated[str, typer.Argument(help="The queue.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="reviews.jsonl, .csv or .parquet.")],
    store: StoreOption = None,
) -> None:
    """Export a queue's verdicts: one row per verdict with reviewer, time and answer hash."""
    from agility.review import export_reviews

    with open_store(store, existing=True) as db:
        count = export_reviews(db, queue, output)
    err_console.print(f"wrote {count} verdicts to {escape(str(output))}", highlight=False, soft_wrap=True)
