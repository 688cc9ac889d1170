"""The review web app (needs the ``web`` extra): ``create_app(store)`` gives the ASGI app that
``agility review serve`` runs under uvicorn. Pages and the JSON API share one
:class:`ReviewService`; accounts, sessions and CSRF come from :mod:`agility.auth`.
"""

from agility.review.web._app import MAX_BODY_BYTES, create_app
from agility.review.web._handlers import ReviewService

__all__ = ["MAX_BODY_BYTES", "ReviewService", "create_app"]
