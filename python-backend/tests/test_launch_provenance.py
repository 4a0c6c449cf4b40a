"""Whose call is a raw-pointer read made while Triton binds a launch's arguments?

Triton's JITFunction builds its argument binder with exec (file "<string>") and its native
specialiser calls data_ptr() from there; on the GPU every honest launch was judged `raw_pointer`
(H200, Triton 3.6). The CPU interpreter never binds, so this test builds the real binder and calls
it from a frame with Triton's file name, as JITFunction.run does."""

import pytest
import torch
import triton
import triton.language as tl
from triton.runtime import jit as triton_jit

from tritonize.worker import guard, hooks


def _kernel_fn(x_ptr, n, BLOCK: tl.constexpr):
    pass


# A JITFunction even under TRITON_INTERPRET=1 (where @triton.jit makes an InterpretedFunction).
_kernel = triton_jit.JITFunction(_kernel_fn)


class _Backend:  # what native_specialize_impl asks of a backend for a CPU tensor
    supports_native_tensor_specialization = True


def _triton_caller(fn):
    """A function whose code carries Triton's jit.py as its file, like JITFunction.run."""
    ns: dict = {}
    exec(compile("def run(binder, *a, **k):\n    return binder(*a, **k)\n", triton_jit.__file__, "exec"), ns)
    return ns["run"]


@pytest.fixture
def seen(monkeypatch):
    """data_ptr wrapped by a probe recording whether the read counts as the candidate's."""
    lines: list[int] = []
    original = torch.Tensor.data_ptr

    def probe(self):
        lines.append(hooks._called_by_candidate())
        return original(self)

    monkeypatch.setattr(torch.Tensor, "data_ptr", probe)
    saved = guard._CLASSIFY["candidate"]
    guard.set_candidate(__file__)  # this file plays the candidate
    yield lines
    guard._CLASSIFY["candidate"] = saved
    guard._CLASSIFY["cache"].clear()


def _binder():
    if not hasattr(triton_jit, "create_function_from_signature"):
        pytest.skip("this Triton binds arguments without a generated binder")
    return triton_jit.create_function_from_signature(_kernel.signature, _kernel.params, _Backend())


def test_triton_binder_called_by_triton_is_not_the_candidate(seen):
    _triton_caller(None)(_binder(), torch.zeros(8), 8, BLOCK=4)
    assert seen and seen == [0] * len(seen)


def test_binder_called_by_the_candidate_is_the_candidate(seen):
    _binder()(torch.zeros(8), 8, BLOCK=4)  # not from Triton's frame
    assert seen and all(seen)


def test_code_named_like_the_binder_but_naming_more_is_the_candidate(seen):
    ns = {"torch": torch}
    exec("def dynamic_func(x):\n    return torch.Tensor.data_ptr(x)\n", ns)  # names torch: not the template
    _triton_caller(None)(ns["dynamic_func"], torch.zeros(8))
    assert seen and all(seen)
