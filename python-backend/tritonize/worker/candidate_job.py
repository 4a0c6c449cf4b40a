"""Candidate side (untrusted): import the candidate, then do exactly what the judge asks, one
command at a time (see docs/verifier-protocol.md).

The worker never holds more than the current trial's inputs: the judge sends each trial's inputs
when that trial starts, so nothing in `__init__` (or any earlier trial) can see later inputs, and
the seed that makes them never enters this process. Outputs go back raw (CUDA IPC or raw bytes)
and are judged by the judge; everything else this process reports is evidence that can only make
a verdict worse. It runs on fresh inputs after the allocator's free memory has been filled with
NaN, so "return torch.empty_like(x)" cannot pick up an answer.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from typing import Any

import torch

from . import errors, hooks, loader, rng_watch
from ..common import channel, shared
from ..common.limits import LARGE_INPUT_BYTES, POISON_ALL_BYTES
from .reference_job import _outputs, _same_layout_copy, _to, describe_params, result_form

channel._saver()  # torch.save as it is before any candidate code loads
_DEVICE: list[str] = []  # read once, in the worker (not the zygote): the candidate does not see the variable


def _device() -> str:
    if not _DEVICE:
        _DEVICE.append(os.environ.get("TRITONIZE_DEVICE", "cpu"))
    return _DEVICE[0]


def _no_native_code_from_scratch() -> None:
    """A CPU candidate (after sandbox.harden_for_candidate denied exec and memfd): no extension module
    loads from a folder the candidate can write (its home and TMPDIR). Red team 9 wrote a CPython
    extension into its home and imported it: C code computed the answer on the host and forked
    /bin/sh past the Python-level guards. Extensions of installed packages (NumPy) still load. On
    a GPU, Triton loads the launcher it compiles into the private cache, so this stays off there."""
    import _imp

    # The folders the sandbox lets it write (its home, and TMPDIR inside it); not /tmp as a whole: a
    # Python environment may live there, and Landlock keeps the candidate out of it.
    writable = [os.path.realpath(d) for d in (os.environ.get("HOME"), os.environ.get("TMPDIR")) if d]
    original = _imp.create_dynamic

    def create_dynamic(spec: Any, *rest: Any) -> Any:
        origin = os.path.realpath(str(getattr(spec, "origin", "") or ""))
        if any(origin == d or origin.startswith(d + os.sep) for d in writable):
            raise ImportError(f"native extension {getattr(spec, 'name', '?')} from {origin} refused: the verifier "
                              "does not load compiled code a candidate wrote (write the kernel in Triton)")
        return original(spec, *rest)

    _imp.create_dynamic = create_dynamic


def _poison(device: str, nbytes: int) -> None:
    """Three blocks the size of the outputs (an output, a temporary, a second output), or one above
    1 GB: at issue 10's 6 GB outputs two more blocks were 12 GB that kept the verify off an 80 GB GPU.
    The first allocation of that size still lands in NaN; the others get memory this process
    freed itself (its own earlier outputs, on other inputs), never the reference's."""
    if nbytes <= 0:
        return
    blocks = [torch.empty(nbytes, dtype=torch.uint8, device=device).fill_(0xFF)
              for _ in range(3 if nbytes <= POISON_ALL_BYTES else 1)]
    del blocks  # back to the caching allocator, NaN-filled (0xFF.. is NaN in every float dtype)


def _build(mod: Any, init: list[Any], seed: int, state: list[Any], ref_params: list[dict[str, Any]],
           device: str) -> tuple[torch.nn.Module, list[dict[str, Any]]]:
    """ModelNew(*init), then the reference's tensors loaded by name, only when names, kinds,
    dtypes and shapes all match (the judge decides on the description this returns)."""
    torch.manual_seed(seed)
    model = mod.ModelNew(*_to(init, device)).to(device)
    mine = describe_params(model)
    if mine == ref_params:
        model.load_state_dict({p["name"]: t for p, t in zip(ref_params, state)}, strict=True)
    return model, mine


_KEEP_OUTPUTS_BYTES = 1 << 30
_COPY_OUTPUTS_BYTES = 64 << 20  # a trial's outputs up to this size are also copied, to see later writes
_KEEP_HISTORY_BYTES = 256 << 20  # earlier trials' outputs (and copies) kept beside the last trial's


# Weak references to the storages of earlier calls' inputs, taken before the candidate is imported.
_WEAK_REF, _EXPIRED, _FREE_WEAK_REF = (torch.UntypedStorage._weak_ref, torch.UntypedStorage._expired,
                                       torch.UntypedStorage._free_weak_ref)
_EARLIER_INPUTS = 64  # calls whose input storages are remembered


class _EarlierInputs:
    """The storages of earlier calls' inputs, by weak reference: an output on one that is still alive
    is an earlier input the caller holds, overwritten with this call's result (red team 33 c08). An
    expired one is memory the allocator may hand out again, so it is no evidence."""

    def __init__(self) -> None:
        self.refs: list[tuple[tuple[str, int] | None, int]] = []

    def add(self, xs: list[Any]) -> None:
        for x in xs:
            if isinstance(x, torch.Tensor) and x.device.type != "meta":
                self.refs.append((shared.storage_key(x), _WEAK_REF(x.untyped_storage())))
        while len(self.refs) > _EARLIER_INPUTS:
            _FREE_WEAK_REF(self.refs.pop(0)[1])

    def alive(self) -> set[tuple[str, int]]:
        return {k for k, ref in self.refs if k is not None and not _EXPIRED(ref)}


def _region(t: torch.Tensor) -> tuple[Any, ...]:
    """The memory a tensor views: storage, offset, shape, strides."""
    return (shared.storage_key(t), t.storage_offset(), tuple(t.shape), tuple(t.stride()))


def _kept_bytes(entry: tuple[torch.Tensor, torch.Tensor | None]) -> int:
    view, copy = entry
    return view.untyped_storage().nbytes() + (copy.untyped_storage().nbytes() if copy is not None else 0)


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bitwise equal (NaN payloads included), whatever the layout."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype == torch.bool or a.numel() == 0:
        return torch.equal(a, b)
    return torch.equal(a.contiguous().view(-1).view(torch.uint8), b.contiguous().view(-1).view(torch.uint8))


def _assign(model: torch.nn.Module, state: list[Any], ref_params: list[dict[str, Any]]) -> None:
    """The reference's tensors written into a ModelNew's live parameters and buffers, in place, as an
    optimizer step or `param.data.copy_()` does: no load_state_dict, so nothing of the candidate's
    runs (red team 12: W2@W1 folded by torch.mm in a load hook, an overridden load_state_dict or
    train()/_apply() stayed current when the trial loaded the weights; stale after any update)."""
    if describe_params(model) != ref_params:
        return
    live = torch.nn.Module.state_dict(model, keep_vars=True)
    with torch.no_grad():
        for p, t in zip(ref_params, state):
            live[p["name"]].copy_(t)


def _storage_ptr(t: torch.Tensor) -> int | None:
    try:
        return t.untyped_storage().data_ptr()
    except Exception:
        return None


class _Unobserved:
    """What a bare trial tells of its forward: nothing but its outputs (and its launches' count)."""
    compute: dict = {}
    movement: dict = {}
    lines: dict = {}
    host_reads = 0
    evidence = None
    steps: dict = {}


def _grad_mode(grad: bool, inference: bool) -> Any:
    return torch.inference_mode() if inference else torch.enable_grad() if grad else torch.no_grad()


def _forward(model: torch.nn.Module, args: list[Any], device: str, read: Any,
             grad: bool = False, bare: bool = False, inference: bool = False) -> tuple[Any, Any]:
    if bare:
        # No op recorder (a dispatch mode), no profiler, no argument checksums: a kernel that is
        # honest only while it sees them (torch.autograd.profiler._is_profiler_enabled(), the
        # dispatch mode stack) is wrong here, as in the user's program (red team 21 c02, c24).
        # Judged: the outputs, and the audit guard's refusals and forbidden calls (NumPy on the
        # host only where no mode is active: red team 22 F1), which stay on in every trial.
        start = len(read())
        rng = rng_watch.snapshot()
        with _grad_mode(grad, inference):
            y = model(*args)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
        rec = _Unobserved()
        rec.evidence = hooks.guard_evidence(read(), start)
        rec.drew = rng_watch.drew(rng)
        return y, rec
    obs = hooks.Observation(read, hooks.held_tensors(model))  # op recorder + launch provenance + witness (hooks.py)
    # One trial runs with gradients on, as a user's plain `model(x)` does: a kernel that was honest
    # only under no_grad (the verifier's mode) passed every trial (red team 10).
    t0, c0 = time.monotonic(), hooks.CHECKSUM_S[0]
    rng = rng_watch.snapshot()
    with _grad_mode(grad, inference), obs:
        t1 = time.monotonic()
        y = model(*args)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t2 = time.monotonic()
    t3 = time.monotonic()
    obs.rec.drew = rng_watch.drew(rng)  # type: ignore[attr-defined]
    obs.rec.evidence = obs.finish(_outputs(y), args)  # type: ignore[attr-defined]
    # Where the forward's time went (diagnostic): the observation's set-up and tear-down, the call
    # (the checksums of launch arguments included), and the evidence read back after it.
    obs.rec.steps = {"observe": round(t1 - t0 + t3 - t2, 4), "call": round(t2 - t1, 4),  # type: ignore[attr-defined]
                     "evidence": round(time.monotonic() - t3, 4), "checksums": round(hooks.CHECKSUM_S[0] - c0, 4)}
    return y, obs.rec


def _coverage(model: torch.nn.Module, args: list[Any], triton_names: set[str]) -> dict[str, Any]:
    """Share of GPU time spent in the candidate's own Triton kernels (profiler's kernel list)."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof, torch.no_grad():
        model(*args)
        torch.cuda.synchronize()
    own, other, others = 0.0, 0.0, {}
    for evt in prof.events():
        dt = getattr(evt, "device_type", None)
        if dt is None or "CUDA" not in str(dt):
            continue
        t = float(getattr(evt, "device_time", None) or getattr(evt, "cuda_time", 0.0) or 0.0)
        if any(evt.name == n or evt.name.startswith(n) for n in triton_names):
            own += t
        else:
            other += t
            others[evt.name[:120]] = others.get(evt.name[:120], 0.0) + t
    total = own + other
    return {"time_coverage": (own / total) if total else None,
            "other_kernels": sorted(others.items(), key=lambda kv: -kv[1])[:8]}


def _warm_threads(device: str) -> None:
    """Start torch's intra-op thread pool now, so threads that exist after a forward and not before
    are the candidate's, not torch's lazily started pool (the judge watches them from /proc)."""
    torch.ones(1 << 20).add_(1).sum()

def _refused(read: Any) -> list[dict[str, Any]]:
    """What the audit guard refused so far (an error after a refusal is judged as the refusal)."""
    return [{"rule": e[1], "event": e[2], "line": e[3]} for e in read() if e and e[0] == "blocked"]



class _Session:
    def __init__(self, job: dict[str, Any], in_fd: int, out_fd: int):
        self.job, self.in_fd, self.out_fd = job, in_fd, out_fd
        self.path, self.device = job["candidate"], job["device"]
        self.cuda = self.device.startswith("cuda")
        self.held: Any = None  # the last trial's outputs: shared with the judge until the next command
        # Earlier calls' outputs the caller may still hold, kept alive (the last call's up to
        # _KEEP_OUTPUTS_BYTES, earlier ones within _KEEP_HISTORY_BYTES): memory the allocator cannot
        # hand out again, so an output on one of these storages is one the candidate returned twice,
        # overwriting what its caller holds (red team 12 c14). Each as (a view, a copy of its bits or None).
        self.previous: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        self.earlier_inputs = _EarlierInputs()
        self.kernels: set[str] = set()
        self.coverage: dict[str, Any] | None = None
        self.bench_sets: list[list[Any]] = []

    def send(self, msg: dict[str, Any], values: list[Any] | None = None, key: str = "outputs",
             meta_only: set[int] | None = None) -> None:
        raw: list[torch.Tensor] = []
        if values is not None:
            msg[key], raw = shared.export(values, meta_only)
        channel.send(self.out_fd, msg, raw)

    def recv(self) -> dict[str, Any]:
        cmd = channel.recv(self.in_fd)
        self.held = None
        return cmd

    def values(self, cmd: dict[str, Any], key: str) -> list[Any]:
        return shared.load(cmd.get(key) or [], cmd.get("_raw"))

    def start(self) -> bool:
        # The audit guard (worker/guard.py) is armed before the candidate is imported; its reader
        # only reads the guard's evidence store, which the candidate cannot write to. The integrity
        # snapshot comes after arming, so it holds the attribution state arming sets.
        # This worker runs nothing after the candidate: what it gives up here is gone for good.
        from . import sandbox

        hooks.start_autotune_rotation()
        missing = sandbox.harden_for_candidate(cpu=_device() == "cpu")
        if missing:
            print(f"tritonize worker: candidate hardening incomplete: {'; '.join(missing)}", file=sys.stderr)
        if _device() == "cpu":
            _no_native_code_from_scratch()
        # No verifier-named variables in the candidate's view (red team 9: a kernel correct only when
        # TRITONIZE_DEVICE was set). The sandbox itself stays detectable (seccomp status, Landlock).
        for name in ("TRITONIZE_DEVICE", "TRITONIZE_TRUSTED_TRITON_CACHE", "TRITONIZE_WARM_TRITON"):
            os.environ.pop(name, None)
        self.read = hooks.arm(os.path.realpath(self.path))
        self.integrity = hooks.Integrity.take()
        try:
            self.mod = loader.load_module(self.path, name_hint="candidate")
            loader.require(self.mod, ["ModelNew"], self.path)
        except BaseException as exc:  # SystemExit included: a candidate may exit at import
            channel.send(self.out_fd, {"type": "error", "stage": "import", **errors.describe(exc, self.path),
                                       "guard": _refused(self.read)})
            return False
        return self.untampered("import")

    def _error_line(self, exc: BaseException) -> str:
        """One line naming the exception, for a trial that goes on after it (soft, declined)."""
        text = str(errors.describe(exc, self.path).get("message") or exc)
        return (text if text.startswith(type(exc).__name__) else f"{type(exc).__name__}: {text}")[:300]

    def untampered(self, stage: str) -> bool:
        changed = self.integrity.changed()
        if changed:
            channel.send(self.out_fd, {"type": "tamper", "stage": stage, "changed": changed})
        return not changed

    def build(self, cmd: dict[str, Any]) -> bool:
        self.seed, self.ref_params = int(cmd["seed"]), cmd["params"]
        self.init, self.state = self.values(cmd, "init"), self.values(cmd, "state")
        try:
            self.model, mine = _build(self.mod, self.init, self.seed, self.state, self.ref_params, self.device)
        except BaseException as exc:
            channel.send(self.out_fd, {"type": "error", "stage": "init", **errors.describe(exc, self.path),
                                       "guard": _refused(self.read)})
            return False
        if not self.untampered("init"):
            return False
        _warm_threads(self.device)
        if self.cuda:
            hooks.EXPECTED_STREAM = torch.cuda.current_stream().cuda_stream
        channel.send(self.out_fd, {"type": "built", "params": mine})
        return True

    def trial(self, cmd: dict[str, Any]) -> bool:
        name = cmd["name"]
        # Where this process's time went (a diagnostic the judge prints, never evidence).
        steps: dict[str, float] = {}
        tick = [time.monotonic()]

        def step(what: str) -> None:
            now = time.monotonic()
            steps[what] = round(steps.get(what, 0.0) + now - tick[0], 4)
            tick[0] = now
        hooks.LAUNCHES.kernels.clear()  # what this trial launched (also if ModelNew's constructor raises)
        hooks.LAUNCHES.storages = set()
        try:
            target = self.model
            if cmd.get("reload"):
                # Other weights at the same sizes, written into the instance that has run already: a
                # weight packed at the first forward and never refreshed (red team 10), or refreshed
                # only by a load hook (red team 12), is stale now, as after the user's optimizer step.
                _assign(target, self.values(cmd, "state"), cmd["params"])
            elif cmd.get("state") is not None:  # shape variation: a ModelNew for the varied sizes
                target, _ = _build(self.mod, self.values(cmd, "init"), self.seed, self.values(cmd, "state"),
                                   cmd["params"], self.device)
                if cmd.get("eval"):  # as the user's program does: an override of train() runs too (red team 27 c16)
                    target.eval()
            inputs = self.values(cmd, "inputs")
            step("inputs")
            if self.cuda:
                _poison(self.device, int(cmd.get("output_bytes", 0)))
                torch.cuda.synchronize()
                step("poison")
                args = inputs  # the judge's private copy (IPC); the judge checks it for writes itself
                before = None
            else:
                args = [_same_layout_copy(x) if isinstance(x, torch.Tensor) else x for x in inputs]
                before = inputs
            if cmd.get("grad_inputs"):
                # Inputs that require grad, as activations do in a training step: a path taken only for
                # them was never run (red team 27 c22). New leaf tensors on the same storage.
                args = [x.detach().requires_grad_(True) if isinstance(x, torch.Tensor) and
                        (x.is_floating_point() or x.is_complex()) else x for x in args]
            modes = hooks.modes_active()
            hooks.PROGRAM_ORDER["reverse"] = bool(cmd.get("reverse_programs"))
            try:
                y, rec = _forward(target, args, self.device, self.read, grad=bool(cmd.get("grad")),
                                  bare=bool(cmd.get("bare")), inference=bool(cmd.get("inference")))
            finally:
                hooks.PROGRAM_ORDER["reverse"] = False
            form = result_form(y)
            if hooks.modes_active() != modes:
                channel.send(self.out_fd, {"type": "tamper", "stage": "forward", "changed": [
                    "the torch function/dispatch mode stack (a mode entered in forward was left active)"]})
                return False
            step("forward")
            for k, v in getattr(rec, "steps", {}).items():
                steps[f"forward.{k}"] = round(steps.get(f"forward.{k}", 0.0) + v, 4)
            kept = {shared.storage_key(o) for o, _ in self.previous} - {None}
            # A parameter or buffer returned as is (the reference may do the same); not any tensor
            # the module holds, which is where an output cache lives. A non-persistent buffer used
            # as the output every call is seen below, when the next call changes it.
            owned = {shared.storage_key(t) for t in itertools.chain(torch.nn.Module.parameters(target),
                                                                   torch.nn.Module.buffers(target))} - {None}
            reused = [i for i, o in enumerate(_outputs(y)) if isinstance(o, torch.Tensor)
                      and shared.storage_key(o) in kept and shared.storage_key(o) not in owned]
            current = {shared.storage_key(x) for x in args if isinstance(x, torch.Tensor)}
            earlier_in = self.earlier_inputs.alive() - current - {None}
            reused_inputs = [i for i, o in enumerate(_outputs(y)) if isinstance(o, torch.Tensor)
                             and shared.storage_key(o) in earlier_in]
            self.earlier_inputs.add(list(args))
            # An earlier result whose values changed: the kernel used it as scratch or rotates a few
            # output buffers (red team 31 c09, c23), and the caller's copy of that result is gone.
            overwritten = sum(1 for o, was in self.previous if was is not None and not _same_bits(o, was))
            own_pre: list[int] | None = None
            if cmd.get("reload"):
                # An output on a parameter's or buffer's memory (self.bias returned as is) is copied
                # before the problem's weights are written back into it below: it read stale values
                # (red team 35 h05). Which outputs were the module's own is taken first.
                held_ = list(itertools.chain(torch.nn.Module.parameters(target), torch.nn.Module.buffers(target)))
                keys = {shared.storage_key(t) for t in held_} - {None}
                flat = _outputs(y)
                if any(isinstance(o, torch.Tensor) and shared.storage_key(o) in keys for o in flat):
                    ids = {id(t) for t in held_}
                    own_pre = [i for i, o in enumerate(flat) if isinstance(o, torch.Tensor) and id(o) in ids]
                    y = [o.detach().clone() if isinstance(o, torch.Tensor) and shared.storage_key(o) in keys else o
                         for o in flat]
                _assign(target, self.state, self.ref_params)  # the problem's weights for the trials after
        except BaseException as exc:
            refused = _refused(self.read)
            # A trial whose result is only a flag (the judge says `soft`): an error there is told as
            # such and the trials go on, unless the sandbox refused something (always a verdict).
            if cmd.get("soft") and isinstance(exc, Exception) and not refused:
                if not self.untampered("forward"):
                    return False
                self.send({"type": "trial", "name": name, "soft_error": self._error_line(exc)})
                return True
            # At other sizes than the problem's, an exception before any kernel launch is the
            # candidate declining those sizes (Inductor's assert_size_stride, an `assert` on a
            # dimension): it computed nothing there, so nothing wrong was returned (judge: a flag).
            # Likewise with inputs that require grad: an inference-only kernel that refuses a training
            # step raised, and was a runtime error (red team 29 c19).
            if (cmd.get("other_sizes") or cmd.get("grad_inputs")) and isinstance(exc, Exception) and not refused \
                    and not any(hooks.LAUNCHES.kernels.values()):
                if not self.untampered("forward"):
                    return False
                self.send({"type": "trial", "name": name, "declined": self._error_line(exc)})
                return True
            channel.send(self.out_fd, {"type": "error", "stage": "forward", "trial": name, **errors.describe(exc, self.path),
                                       "guard": refused})
            return False
        if not self.untampered("forward"):
            return False
        step("integrity")
        self.kernels |= set(hooks.LAUNCHES.kernels)
        outs = [shared._plain(o.detach()) if isinstance(o, torch.Tensor) else o for o in _outputs(y)]
        if self.cuda:  # an output on an input's storage came in over CUDA IPC, which torch cannot send
            # back: send a copy (the recorder's evidence below still names the alias). An earlier
            # call's input is such a storage too (red team 33 c08 on the H100: a worker failure).
            theirs = ({shared.storage_key(x) for x in inputs} | self.earlier_inputs.alive()) - {None}
            outs = [o.clone() if shared.storage_key(o) in theirs else o for o in outs]
        specs = cmd.get("expect") or []
        # An output of the wrong shape or dtype travels as its description only.
        meta_only = {i for i, o in enumerate(outs) if isinstance(o, torch.Tensor) and
                     (i >= len(specs) or list(o.shape) != specs[i]["shape"] or str(o.dtype)[6:] != specs[i]["dtype"])}
        mutated = [] if before is None else [i for i, (a, x) in enumerate(zip(args, before))
                                             if isinstance(a, torch.Tensor) and not torch.equal(a, x)]
        # The module's own parameter returned as is, as a reference returning self.bias does (red team
        # 35 h05 was a false `tensor_subclass_output`); an unregistered Parameter still counts.
        own = {id(t) for t in itertools.chain(torch.nn.Module.parameters(target), torch.nn.Module.buffers(target))}
        own_outputs = own_pre if own_pre is not None else [
            i for i, o in enumerate(_outputs(y)) if isinstance(o, torch.Tensor) and id(o) in own]
        subclasses = sorted({type(o).__name__ for i, o in enumerate(_outputs(y)) if isinstance(o, torch.Tensor)
                             and type(o) is not torch.Tensor and i not in own_outputs})
        step("checks")
        # Kept: views, not the output objects: a caller that keeps `model(x).detach()` drops the object
        # and keeps its memory. A kernel that reused an output's storage once the object was gone (a
        # weakref) overwrote such results; holding the objects hid it (red team 27 c26). Every earlier
        # call's, within a budget, not only the last one's (red team 31 c09: three buffers in turn).
        # Not an input's storage (the judge reuses that memory) or a parameter's or persistent
        # buffer's (the reference may return one as is; the state checks see it written). A
        # non-persistent buffer is where an output buffer reused every call lives (red team 33 c01).
        # A parameter or persistent buffer itself, exactly: a view into one's storage elsewhere (an
        # output slot carved from a buffer's tail, red team 35 c01b) is kept and its bits checked.
        theirs_ = {shared.storage_key(x) for x in inputs if isinstance(x, torch.Tensor)}
        state = {_region(t) for t in torch.nn.Module.state_dict(target, keep_vars=True).values()
                 if isinstance(t, torch.Tensor)}
        mine = [o for o in _outputs(y) if isinstance(o, torch.Tensor) and shared.storage_key(o) not in theirs_
                and _region(o) not in state]
        size = sum(o.untyped_storage().nbytes() for o in mine)
        new_ = ([(o.detach(), o.detach().clone() if size <= _COPY_OUTPUTS_BYTES else None) for o in mine]
                if size <= _KEEP_OUTPUTS_BYTES else [])
        # Earlier trials' entries, newest first, within what this trial's leave of _KEEP_HISTORY_BYTES.
        old_, room = [], _KEEP_HISTORY_BYTES - sum(map(_kept_bytes, new_))
        for entry in reversed(self.previous):
            room -= _kept_bytes(entry)
            if room < 0:
                break
            old_.append(entry)
        self.previous = old_[::-1] + new_
        if cmd.get("profile") and self.cuda and self.kernels:
            # Above 1 GB the profiled call runs on the inputs themselves (the outputs above are already
            # taken, and the judge checks its own copy for writes) and its memory goes back to the GPU:
            # at 6.4 GB a clone plus the profiled output kept 12.8 GB in this process while the judge
            # ran out of memory (session 14, H100).
            big = sum(x.numel() * x.element_size() for x in inputs if isinstance(x, torch.Tensor)) > LARGE_INPUT_BYTES
            try:
                self.coverage = _coverage(target, inputs if big else [x.clone() if isinstance(x, torch.Tensor) else x
                                                                      for x in inputs], self.kernels)
            except Exception as exc:
                self.coverage = {"time_coverage": None, "error": str(exc)[:200]}
            if big:
                torch.cuda.empty_cache()
            # The profiled call is one more call on this instance: one that changed this call's
            # outputs (held by the judge, not yet compared) overwrote a result its caller holds
            # (red team 31 c23 on the H100 read as a wrong value).
            overwritten += sum(1 for o, was in new_ if was is not None and not _same_bits(o, was))
            step("profile")
        # Which outputs sit on a storage some launch was given: compared between an observed trial and
        # the unobserved one (judge/run.py), where a dummy launch beside torch's answer passed (red team 23 c03).
        launched = [isinstance(o, torch.Tensor) and _storage_ptr(o) in hooks.LAUNCHES.storages for o in _outputs(y)]
        hooks.LAUNCHES.storages = None
        self.send({"type": "trial", "name": name, "form": form, "subclasses": subclasses, "own_outputs": own_outputs,
                   "launches": dict(hooks.LAUNCHES.kernels),
                   "launched_outputs": launched,
                   "reused_outputs": reused, "overwritten_earlier": overwritten, "reused_inputs": reused_inputs,
                   "autotune_unchecked": hooks.autotune_unchecked(),
                   "compute_ops": dict(rec.compute), "movement_ops": dict(rec.movement), "op_lines": dict(rec.lines),
                   "host_reads": int(rec.host_reads) + hooks.text_reads(rec.evidence),
                   "mutated_inputs": mutated, "evidence": rec.evidence, "steps_s": steps,
                   "drew_random": bool(getattr(rec, "drew", False))}, outs, meta_only=meta_only)
        self.held = (outs, y)
        return True

    def finish(self) -> None:
        if self.cuda:
            hooks.end_autotune_rotation()
        channel.send(self.out_fd, {"type": "verified", "coverage": self.coverage,
                                   "foreign_streams": dict(hooks.LAUNCHES.foreign_streams),
                                   "autotune_rotated": hooks.autotune_rotated()})

    def bench(self, cmd: dict[str, Any]) -> None:
        hooks.LAUNCHES.storages = None  # (a trial that ended in an error left it on)
        from .candidate_bench import bench

        # `seed` here is this process's public seed, not the reference's: the eager model's
        # parameters come from the reference's state_dict.
        data = {"seed": self.seed, "init_inputs": self.init, "bench_sets": self.bench_sets,
                "state_dict": {p["name"]: t for p, t in zip(self.ref_params, self.state)}}
        bench(self.job, cmd, self.mod, self.model, data, self.integrity, self.out_fd, self.in_fd)


def run(job: dict[str, Any], in_fd: int, out_fd: int) -> None:
    s = _Session(job, in_fd, out_fd)
    if not s.start():
        return
    channel.send(out_fd, {"type": "imported"})
    cmd = s.recv()
    if cmd.get("cmd") != "build" or not s.build(cmd):
        return
    while True:
        cmd = s.recv()
        what = cmd.get("cmd")
        if what == "trial":
            if not s.trial(cmd):
                return
        elif what == "finish":
            s.finish()
        elif what == "bench_inputs":
            s.bench_sets = [s.values({"inputs": d, "_raw": cmd.get("_raw")}, "inputs") for d in cmd["sets"]]
            channel.send(out_fd, {"type": "bench_ready"})
        elif what == "bench":
            s.bench(cmd)
            return
        else:
            return
