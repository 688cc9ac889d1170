"""Who this process acts as, for the audit trail (``--actor``, ``$AGILITY_ACTOR``, the OS user).

Kept apart from the store (standard library only) so the command line can set it from its root
option without importing the store before a command needs it.
"""

from __future__ import annotations

import functools
import getpass
import os

__all__ = ["ENV_ACTOR", "current_actor", "set_actor"]

#: the environment variable naming the actor when ``--actor`` is not given
ENV_ACTOR = "AGILITY_ACTOR"

_actor: str | None = None


def set_actor(name: str | None) -> None:
    """Use ``name`` as the actor of this process's events that name none (``--actor``);
    None goes back to ``$AGILITY_ACTOR`` or the OS user."""
    global _actor
    _actor = name.strip() if name and name.strip() else None


def current_actor() -> str:
    """Who this process acts as: :func:`set_actor`, else ``$AGILITY_ACTOR``, else the OS user."""
    if _actor:
        return _actor
    env = os.environ.get(ENV_ACTOR, "").strip()
    if env:
        return env
    return _os_user(os.environ.get("LOGNAME"), os.environ.get("USER"),
                    os.environ.get("LNAME"), os.environ.get("USERNAME"))


@functools.lru_cache(maxsize=4)
def _os_user(*names: str | None) -> str:
    """The OS user, looked up once per value of the variables ``getpass.getuser`` reads: it
    falls back on the password database, ~20 us a lookup, and the runner names the actor of
    every call's audit event."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's anonymous uid)
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
