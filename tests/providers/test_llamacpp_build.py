"""A llama-cpp-python build known to crash is refused with one clear error, not a segfault."""

from __future__ import annotations

import types

import pytest

from agility.errors import UnsafeBuildError
from agility.providers.llamacpp import check_build

AMX_BUILD = (b"CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | "
             b"AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")
GENERIC_BUILD = b"CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | "


def _fake_module(info: bytes) -> types.SimpleNamespace:
    # the shape of llama_cpp's module where it matters: its version and its system-info call
    return types.SimpleNamespace(__version__="0.3.36", llama_print_system_info=lambda: info)


def test_a_native_amx_build_is_refused_with_the_rebuild_command(monkeypatch):
    monkeypatch.delenv("AGILITY_LLAMA_ALLOW_BUILD", raising=False)
    with pytest.raises(UnsafeBuildError) as err:
        check_build(_fake_module(AMX_BUILD))
    assert err.value.features == ["AMX_INT8"]
    assert "GGML_NATIVE=OFF" in str(err.value) and "--no-cache-dir" in str(err.value)


def test_a_generic_build_and_an_explicit_override_pass(monkeypatch):
    monkeypatch.delenv("AGILITY_LLAMA_ALLOW_BUILD", raising=False)
    check_build(_fake_module(GENERIC_BUILD))
    monkeypatch.setenv("AGILITY_LLAMA_ALLOW_BUILD", "1")
    check_build(_fake_module(AMX_BUILD))


def test_the_installed_build_is_safe():
    # the README's install builds llama.cpp for generic x86-64; if this fails, the install
    # picked up a wheel built for this CPU (pip's wheel cache) and every local run would crash
    llama_cpp = pytest.importorskip("llama_cpp")
    check_build(llama_cpp)
