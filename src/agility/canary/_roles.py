"""The roles of the gateway's accounts (shared :mod:`agility.auth` accounts, one role each).

- ``canary-client``: may send chat completions (``/v1/...``);
- ``canary-viewer``: may read the rollout's status and ``/metrics``;
- ``canary-admin``: all of the above, and the decisions (promote, pause, resume, rollback,
  flag);
- the review app's ``lead`` and ``reviewer`` (SMEs) may flag an answer.
"""

from __future__ import annotations

__all__ = ["ADMIN_ROLES", "CANARY_ROLES", "CLIENT_ROLES", "FLAG_ROLES", "VIEWER_ROLES"]

#: the roles ``agility canary user add`` creates
CANARY_ROLES = frozenset({"canary-admin", "canary-viewer", "canary-client"})
CLIENT_ROLES = frozenset({"canary-client", "canary-admin"})
VIEWER_ROLES = frozenset({"canary-viewer", "canary-admin"})
ADMIN_ROLES = frozenset({"canary-admin"})
FLAG_ROLES = frozenset({"canary-admin", "lead", "reviewer"})
