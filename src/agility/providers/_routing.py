"""Which host a file may send credentials to, decided outside the file.

Plans (and the option mappings inside them) may come from a pull request. An option that
decides where a request and its key go — a base URL, the environment variable a key is read
from, an AWS profile, credential headers — is a *routing* option (``Options.routing``). In a
file, a routing option is accepted only when the user allowed its value outside the file:

- hosts: loopback (``127.0.0.1``, ``localhost``, ``::1``) always; others when listed in
  ``$AGILITY_ALLOW_HOSTS`` (comma-separated, ``host`` or ``host:port``) or passed on the
  command line (``--allow-host``);
- credential names (``api_key_env``, AWS ``profile``): when listed in
  ``$AGILITY_ALLOW_KEY_ENVS`` or passed on the command line (``--allow-key-env``);
- headers: never a credential-like header (``Authorization``, ``x-api-key``...) from a file;
- code (a ``python:`` or ``langgraph:`` system): modules whose prefix is listed in
  ``$AGILITY_ALLOW_SYSTEMS`` or passed on the command line (``--allow-system``); see
  :mod:`agility.systems`.

Options given in Python or on the command line are the user's own and are not checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from agility.providers._common import is_sensitive_header

__all__ = ["ENV_ALLOWED_HOSTS", "ENV_ALLOWED_KEY_ENVS", "ENV_ALLOWED_SYSTEMS", "RoutingPolicy",
           "routing_problems"]

ENV_ALLOWED_HOSTS = "AGILITY_ALLOW_HOSTS"
ENV_ALLOWED_KEY_ENVS = "AGILITY_ALLOW_KEY_ENVS"
ENV_ALLOWED_SYSTEMS = "AGILITY_ALLOW_SYSTEMS"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_URL_OPTIONS = ("base_url", "endpoint_url")
_CREDENTIAL_NAME_OPTIONS = ("api_key_env", "profile")


def _split(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


@dataclass(frozen=True)
class RoutingPolicy:
    """The hosts and credential names a file may route requests to (see the module doc).

    Attributes:
        hosts: allowed hosts (``host`` or ``host:port``), beside loopback.
        credentials: allowed environment-variable names of keys and AWS profile names.
        systems: module prefixes whose code a file may name as a system (``myapp`` allows
            ``myapp.rag:answer``).
    """

    hosts: frozenset[str] = frozenset()
    credentials: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()

    @classmethod
    def from_environment(cls, hosts: Iterable[str] = (), credentials: Iterable[str] = (),
                         systems: Iterable[str] = ()) -> RoutingPolicy:
        """The allow-lists of the environment plus those given (command-line flags)."""
        return cls(
            hosts=frozenset(h.lower() for h in [*_split(os.environ.get(ENV_ALLOWED_HOSTS)),
                                                *hosts]),
            credentials=frozenset([*_split(os.environ.get(ENV_ALLOWED_KEY_ENVS)),
                                   *credentials]),
            systems=frozenset([*_split(os.environ.get(ENV_ALLOWED_SYSTEMS)), *systems]))

    def allows_module(self, module: str) -> bool:
        """Whether a file may name code from ``module`` (a listed prefix covers submodules)."""
        return any(module == prefix or module.startswith(prefix + ".")
                   for prefix in self.systems)

    def allows_url(self, url: str) -> bool:
        """Whether a file may send requests (and keys) to ``url``."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host in _LOOPBACK:
            return True
        with_port = f"{host}:{parts.port}" if parts.port else host
        return host in self.hosts or with_port in self.hosts


def routing_problems(options: Mapping[str, Any], policy: RoutingPolicy) -> list[tuple[str, str]]:
    """The routing options of a file's option mapping that the user did not allow.

    Args:
        options: provider options as written in a file.
        policy: what the user allowed outside the file.

    Returns:
        ``(option, problem)`` pairs; empty when everything is allowed.
    """
    problems: list[tuple[str, str]] = []
    for name in _URL_OPTIONS:
        value = options.get(name)
        if isinstance(value, str) and not policy.allows_url(value):
            host = urlsplit(value).hostname or value
            problems.append((name, f"a file may not send requests to {host!r}: allow the host "
                                   f"outside the file ({ENV_ALLOWED_HOSTS}={host} or "
                                   f"--allow-host {host})"))
    for name in _CREDENTIAL_NAME_OPTIONS:
        value = options.get(name)
        if isinstance(value, str) and value not in policy.credentials:
            problems.append((name, f"a file may not choose which credential is sent "
                                   f"({value!r}): allow it outside the file "
                                   f"({ENV_ALLOWED_KEY_ENVS}={value} or --allow-key-env "
                                   f"{value})"))
    headers = options.get("headers")
    if isinstance(headers, Mapping):
        for header in headers:
            if is_sensitive_header(str(header)):
                problems.append((f"headers.{header}", "credentials never come from a file: "
                                                      "set the key in the environment"))
    return problems
