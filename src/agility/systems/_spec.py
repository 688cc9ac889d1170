"""What a system spec says, validated, and which specs a file may name (the trust rule).

A system is written ``python:package.module:function``, ``langgraph:package.module:graph`` or
``http:URL`` on the command line, or as a mapping in a plan::

    system:
      python: myapp.rag:answer          # or langgraph: myapp.agent:graph, or http: {url: ...}
      options: {top_k: 3}               # handed to the system as settings.options
      timeout_s: 120                    # per example

A plan may come from a pull request, and a system spec runs code or sends requests, so in a
file (see :func:`system_problems`):

- ``python:`` and ``langgraph:`` name only modules the user allowed outside the file
  (``$AGILITY_ALLOW_SYSTEMS`` or ``--allow-system``, module prefixes), or agility's own
  modules (``agility.*``, resolved inside the installed agility package);
- ``http:`` sends requests only to hosts the user allowed (``$AGILITY_ALLOW_HOSTS`` or
  ``--allow-host``), loopback included: the file writes the body and the path, so an unlisted
  local service (a container daemon's API) must not be reachable from a plan;
- ``headers_from_env`` reads only the environment variables the user allowed
  (``$AGILITY_ALLOW_KEY_ENVS`` or ``--allow-key-env``), and literal ``headers`` never hold a
  credential-like header.

A migration plan is stricter still: its ``http:`` systems carry no ``headers_from_env`` at
all. Whoever runs the plan binds a secret to a host on the command line
(:class:`HeaderBinding`, ``--system-header api.corp:Authorization=CORP_TOKEN``), and the
header is sent only to a system whose URL is on that host (:func:`bind_headers`): the plan
names neither the secret nor where it goes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from agility._options import Options, parse_options
from agility.errors import UsageError
from agility.providers import RoutingPolicy
from agility.providers._common import is_sensitive_header
from agility.providers._routing import (
    ENV_ALLOWED_HOSTS,
    ENV_ALLOWED_KEY_ENVS,
    ENV_ALLOWED_SYSTEMS,
)

__all__ = ["HeaderBinding", "HttpSpec", "SystemSpec", "bind_headers", "load_system_file",
           "parse_header_binding", "parse_system_spec", "spec_mapping", "system_problems"]

_TARGET = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)
_KINDS = ("python", "langgraph", "http")


def _check_target(value: str | None) -> str | None:
    if value is not None and not _TARGET.match(value):
        raise ValueError(f"{value!r} is not package.module:attribute (for example "
                         f"myapp.rag:answer)")
    return value


class HttpSpec(Options):
    """An HTTP endpoint answering one example per request (the team's own service).

    ``body_template`` is a Jinja2 template (sandboxed) rendering the JSON body from the example:
    ``question``, ``messages`` (role/content mappings), ``contexts``, ``id``, ``example`` (the
    row without its answer), ``metadata``, and the ``tojson`` filter. Without one the body is
    ``{"id", "question", "messages"}``. ``answer_path`` (``answer``, ``data.choices[0].text``)
    finds the answer in the JSON reply; ``contexts_path`` the documents it used.
    ``headers_from_env`` maps a header to the environment variable holding its value. The
    system's ``timeout_s`` bounds each request.
    """

    url: str
    method: Literal["POST", "PUT", "PATCH", "GET"] = "POST"
    body_template: str | None = None
    answer_path: str = "answer"
    contexts_path: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    headers_from_env: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("headers_from_env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value.values() if not _ENV_NAME.match(name)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} is not an environment variable name")
        return value


class SystemSpec(Options):
    """One system under test: exactly one of ``python``, ``langgraph`` and ``http``.

    ``options`` are handed to the system (``settings.options``); ``timeout_s`` bounds one
    example; ``max_steps`` bounds a LangGraph graph's steps (its recursion limit).
    """

    python: str | None = None
    langgraph: str | None = None
    http: HttpSpec | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float = Field(300.0, gt=0)
    max_steps: int = Field(25, ge=1, le=10_000)

    @field_validator("python", "langgraph")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        return _check_target(value)

    @model_validator(mode="after")
    def _one_kind(self) -> SystemSpec:
        given = [k for k in _KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of python, langgraph and http (got "
                             f"{', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        """``python``, ``langgraph`` or ``http``."""
        return next(k for k in _KINDS if getattr(self, k) is not None)

    @property
    def spec(self) -> str:
        """The one-line form (``python:myapp.rag:answer``, ``http:https://...``)."""
        if self.http is not None:
            return f"http:{self.http.url}"
        return f"{self.kind}:{getattr(self, self.kind)}"


def parse_system_spec(text: str, rest: Mapping[str, Any] | None = None) -> SystemSpec:
    """A :class:`SystemSpec` from its one-line form and the rest of its settings.

    Args:
        text: ``python:pkg.mod:function``, ``langgraph:pkg.mod:graph`` or ``http:URL``.
        rest: the other settings (a file's mapping): for ``http:``, the endpoint's fields
            (``method``, ``body_template``, ``answer_path``...) beside ``options``,
            ``timeout_s`` and ``max_steps``.

    Raises:
        UsageError: the text is not one of the three forms.
        OptionsError: a setting is unknown or invalid.
    """
    kind, sep, target = text.partition(":")
    if not sep or kind not in ("python", "langgraph", "http") or not target:
        raise UsageError(f"system {text!r} is not python:package.module:function, "
                         f"langgraph:package.module:graph or http:URL", argument="system")
    data = dict(rest or {})
    if kind == "http":
        spec_keys = set(SystemSpec.model_fields) - {"http"}
        endpoint = {k: v for k, v in data.items() if k not in spec_keys}
        data = {k: v for k, v in data.items() if k in spec_keys}
        data["http"] = {**endpoint, "url": target}
    else:
        data[kind] = target
    return parse_options(SystemSpec, "system", data)


def spec_mapping(value: Any) -> Any:
    """A system as a plan writes it, in its mapping form: the one-line form
    (``python:myapp.rag:answer``, ``http:URL``) becomes ``{python: ...}`` or
    ``{http: {url: ...}}``; anything else is returned as it is (for validation to judge)."""
    if isinstance(value, str):
        kind, sep, target = value.partition(":")
        if sep and kind in _KINDS and target:
            return {"http": {"url": target}} if kind == "http" else {kind: target}
    return value


def system_problems(spec: Mapping[str, Any] | SystemSpec | str, policy: RoutingPolicy, *,
                    secrets_from_file: bool = True) -> list[tuple[str, str]]:
    """What a system spec written in a file may not do without the user's leave.

    Args:
        spec: the spec as written in the file (a mapping or its one-line form) or validated.
        policy: what the user allowed outside the file.
        secrets_from_file: whether the file may name the variables its headers are read from
            (``headers_from_env``, each allowed by ``policy``): a ``--system-options`` file
            may, beside a URL the user typed; a plan, which names the URL too, may not.

    Returns:
        ``(field, problem)`` pairs; empty when everything is allowed.
    """
    data = spec.model_dump() if isinstance(spec, SystemSpec) else spec_mapping(spec)
    if not isinstance(data, Mapping):
        return []  # not a spec at all: validation says so
    problems: list[tuple[str, str]] = []
    for kind in ("python", "langgraph"):
        target = data.get(kind)
        if not isinstance(target, str) or not _TARGET.match(target):
            continue  # not a target at all: validation says so
        module = target.partition(":")[0]
        if module == "agility" or module.startswith("agility."):
            continue  # agility's own code (checked again where it is imported)
        if not policy.allows_module(module):
            top = module.split(".")[0]
            problems.append((kind, f"a file may not run code it names ({module!r}): allow the "
                                   f"module outside the file ({ENV_ALLOWED_SYSTEMS}={top} or "
                                   f"--allow-system {top})"))
    http = data.get("http")
    if isinstance(http, Mapping):
        url = http.get("url")
        if isinstance(url, str):
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            with_port = f"{host}:{parts.port}" if parts.port else host
            if host not in policy.hosts and with_port not in policy.hosts:
                problems.append(("http.url", f"a file may not send requests to {with_port!r}, "
                                             f"loopback included: allow the host outside the "
                                             f"file ({ENV_ALLOWED_HOSTS}={with_port} or "
                                             f"--allow-host {with_port})"))
        for header, env in dict(http.get("headers_from_env") or {}).items():
            if not secrets_from_file:
                problems.append((f"http.headers_from_env.{header}",
                                 "a plan may not choose which secret is sent where: bind it "
                                 "to the host when you run the plan (--system-header "
                                 f"HOST:{header}=VARIABLE)"))
            elif env not in policy.credentials:
                problems.append((f"http.headers_from_env.{header}",
                                 f"a file may not choose which secret is sent ({env!r}): allow "
                                 f"it outside the file ({ENV_ALLOWED_KEY_ENVS}={env} or "
                                 f"--allow-key-env {env})"))
        for header in dict(http.get("headers") or {}):
            if is_sensitive_header(str(header)):
                problems.append((f"http.headers.{header}", "credentials never come from a "
                                                           "file: use headers_from_env"))
    return problems


def load_system_file(path: str | Path, spec: str, policy: RoutingPolicy) -> SystemSpec:
    """A one-line spec given on the command line, with the rest of its settings in a file.

    The spec itself (the module, the URL) is the user's own; the file's settings follow the
    trust rule of a file (see the module docstring): ``headers_from_env`` names only allowed
    variables and ``headers`` hold no credential.

    Raises:
        ConfigError: the file cannot be read, is not a mapping, names what it may not, or holds
            an invalid setting (``file:line: field: message``).
    """
    from agility._yaml_config import line_of, load_yaml, read_config_text
    from agility.errors import ConfigError, OptionsError

    path = Path(path)
    text = read_config_text(path, "system options file", "Check the --system-options path.")
    data, node = load_yaml(text, str(path))
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: -: system options are a mapping (options, timeout_s, "
                          f"and for http: answer_path, body_template...)")
    kind = spec.partition(":")[0]
    checked: dict[str, Any] = {}
    if kind == "http":
        endpoint = {k: v for k, v in data.items() if k not in SystemSpec.model_fields}
        checked = {"http": {**endpoint, "url": None}}
    problems = [(field.split(".", 1)[-1] if kind == "http" else field, problem)
                for field, problem in system_problems(checked, policy)]
    if problems:
        lines = [f"{path}:{line_of(node, tuple(f.split('.')[:1])) or 1}: {f}: {problem}"
                 for f, problem in problems]
        raise ConfigError("the system options file asks for what a file may not:\n"
                          + "\n".join(lines))
    try:
        return parse_system_spec(spec, data)
    except OptionsError as exc:
        lines = [f"{path}:{line_of(node, (p.option.split('.')[-1],)) or 1}: {p}"
                 for p in exc.problems]
        raise ConfigError("invalid system options:\n" + "\n".join(lines)) from None


class HeaderBinding(Options):
    """A header whose value is read from an environment variable and sent only to one host:
    how whoever runs a plan gives its ``http:`` systems their credentials (see the module
    docstring).

    ``host`` is a host name (any port) or ``host:port``.
    """

    host: str = Field(min_length=1)
    header: str
    env: str

    @field_validator("host")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @field_validator("header")
    @classmethod
    def _header(cls, value: str) -> str:
        if not _HEADER_NAME.match(value):
            raise ValueError(f"{value!r} is not an HTTP header name")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    def matches(self, url: str) -> bool:
        """Whether ``url`` is on this binding's host (and port, when it names one)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        wanted_host, sep, wanted_port = self.host.rpartition(":") if self.host.count(":") == 1 \
            else (self.host, "", "")
        if not sep:
            return host == self.host
        return host == wanted_host and str(port) == wanted_port


def parse_header_binding(text: str) -> HeaderBinding:
    """``HOST[:PORT]:HEADER=VARIABLE`` (``api.corp:Authorization=CORP_TOKEN``) as a
    :class:`HeaderBinding`.

    Raises:
        UsageError: the text is not of that form (named as the ``system_header`` argument).
    """
    where, sep, env = text.partition("=")
    host, colon, header = where.rpartition(":")
    if not sep or not colon or not host or not header or not env:
        raise UsageError(f"system header {text!r} is not HOST:HEADER=VARIABLE (for example "
                         f"api.corp:Authorization=CORP_TOKEN)", argument="system_header")
    return parse_options(HeaderBinding, "system header",
                         {"host": host, "header": header, "env": env})


def bind_headers(spec: SystemSpec, bindings: Sequence[HeaderBinding]) -> SystemSpec:
    """``spec`` with the headers bound to its URL's host (an ``http:`` system's
    ``headers_from_env``); any other spec is returned as it is."""
    if spec.http is None:
        return spec
    found = {b.header: b.env for b in bindings if b.matches(spec.http.url)}
    if not found:
        return spec
    http = spec.http.model_copy(update={"headers_from_env": {**spec.http.headers_from_env,
                                                             **found}})
    return spec.model_copy(update={"http": http})
