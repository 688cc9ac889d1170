"""The canary gateway: an OpenAI-compatible ASGI application over the rollout and the models
(chat completions, and text completions for a raw prompt).

Needs the ``web`` extra (Starlette, uvicorn, prometheus-client). ``serve(plan, store)`` runs it
under uvicorn; ``create_app`` gives the ASGI application for another server or a test.
"""

from agility.canary.gateway._admin import GatewayAuth, admin_routes
from agility.canary.gateway._app import GatewayApp, create_app, serve
from agility.canary.gateway._gateway import ArmClient, Gateway, build_arm, error_status
from agility.canary.gateway._metrics import GatewayMetrics, stage_label
from agility.canary.gateway._wire import (
    OpenAIRequest,
    WireError,
    parse_completion_request,
    parse_request,
)

__all__ = [
    "ArmClient",
    "Gateway",
    "GatewayApp",
    "GatewayAuth",
    "GatewayMetrics",
    "OpenAIRequest",
    "WireError",
    "admin_routes",
    "build_arm",
    "create_app",
    "error_status",
    "parse_completion_request",
    "parse_request",
    "serve",
    "stage_label",
]
