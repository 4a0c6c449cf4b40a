"""What the candidate's worker did, read by the judge from /proc (Linux): evidence its code cannot
forge, because it is read from outside the process, by the kernel's accounting.

Around each trial the judge snapshots the worker's threads, its descendant processes and their
CPU time. Flags (thresholds; documented in docs/verifier-protocol.md):
- `threads_after_forward`: threads that did not exist when the model was built are still alive
  when forward has returned and are running, or used more than THREAD_CPU_S during the trial
  (sleeping new threads are pools torch starts lazily; they are counted in the evidence only).
- `children_after_forward`: any descendant process alive when forward has returned.
- `host_cpu_time` (CUDA only; not the first trial or the shape-variation trial, which compile):
  host CPU seconds spent during the trial > HOST_CPU_SLACK_S + HOST_CPU_FACTOR x the reference's
  own time for the same trial. A Triton forward spends microseconds of host time per launch; a
  candidate computing the answer on the host (NumPy, threads, a child) spends far more.
While the judge reads a trial's outputs it stops the worker's process group (SIGSTOP), so no
thread of the candidate can change them while they are compared.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass, field
from typing import Any, Iterator

HOST_CPU_FACTOR = 20.0
HOST_CPU_SLACK_S = 1.0
THREAD_CPU_S = 0.02  # CPU a new thread may use during a trial and still count as idle
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Snapshot:
    threads: dict[int, str] = field(default_factory=dict)   # tid -> state letter
    thread_cpu: dict[int, float] = field(default_factory=dict)  # tid -> CPU seconds so far
    children: dict[int, str] = field(default_factory=dict)  # pid -> command name
    cpu_s: float = 0.0                                       # worker + live descendants
    ok: bool = True


def _stat(path: str) -> tuple[str, list[str]] | None:
    try:
        with open(path, "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # comm is in parentheses and may hold spaces or ')': split on the last ')'
    head, _, rest = data.rpartition(")")
    return head.partition("(")[2], rest.split()


def _cpu(fields: list[str]) -> float:
    # fields[0] is field 3 (state); utime/stime are fields 14/15; cutime/cstime 16/17 (reaped children)
    return sum(int(fields[k]) for k in (11, 12, 13, 14)) / _TICK


def descendants(pid: int) -> dict[int, str]:
    """Processes whose parent chain reaches pid, or that share its session (start_new_session made
    the worker a session leader; a double fork stays in the session unless it calls setsid)."""
    parent: dict[int, int] = {}
    names: dict[int, str] = {}
    session: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    for e in entries:
        if not e.isdigit():
            continue
        st = _stat(f"/proc/{e}/stat")
        if st is None:
            continue
        p = int(e)
        names[p], parent[p], session[p] = st[0], int(st[1][1]), int(st[1][3])
    out = {}
    for p in parent:
        if p == pid:
            continue
        q, seen = p, 0
        while q > 1 and seen < 64:
            q, seen = parent.get(q, 0), seen + 1
            if q == pid:
                out[p] = names[p]
                break
        else:
            if session.get(p) == pid:
                out[p] = names[p]
    return out


def snapshot(pid: int) -> Snapshot:
    snap = Snapshot()
    st = _stat(f"/proc/{pid}/stat")
    if st is None:
        snap.ok = False
        return snap
    snap.cpu_s = _cpu(st[1])
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            t = _stat(f"/proc/{pid}/task/{tid}/stat")
            if t is not None:
                snap.threads[int(tid)] = t[1][0]
                snap.thread_cpu[int(tid)] = _cpu(t[1])
    except OSError:
        snap.ok = False
    snap.children = descendants(pid)
    for c in snap.children:
        cs = _stat(f"/proc/{c}/stat")
        if cs is not None:
            snap.cpu_s += _cpu(cs[1])
    return snap


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    """The worker's process group (and its descendants) is stopped inside: nothing of the
    candidate's runs on the host while the judge reads what it returned."""
    targets = [pid] + list(descendants(pid))
    sent = []
    for p in targets:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGSTOP)
            sent.append(p)
    try:
        yield
    finally:
        for p in sent:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGCONT)


def trial_evidence(name: str, baseline: Snapshot, before: Snapshot, after: Snapshot, ref_s: float | None,
                   check_cpu: bool, main_tid: int) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Evidence for the report and flags for one trial (see the module docstring for thresholds)."""
    new_threads = sorted(set(after.threads) - set(baseline.threads))
    busy = sorted(t for t, s in after.threads.items() if s == "R" and t != main_tid)
    cpu = max(0.0, after.cpu_s - before.cpu_s)
    ev = {"host_cpu_s": round(cpu, 4), "threads": len(after.threads), "new_threads": len(new_threads),
          "busy_threads": len(busy), "children": sorted(after.children.values())[:8],
          "reference_s": None if ref_s is None else round(ref_s, 6)}
    flags = []
    if not (baseline.ok and before.ok and after.ok):
        ev["unreadable"] = True
        return ev, flags
    # A new thread that sleeps is a library's pool started lazily (torch's intra-op threads on the
    # CPU, the profiler's); one that runs or ran during the trial is working outside forward.
    working = [t for t in new_threads if after.threads[t] == "R"
               or after.thread_cpu.get(t, 0.0) - before.thread_cpu.get(t, 0.0) > THREAD_CPU_S]
    if working:
        flags.append({"rule": "threads_after_forward", "message": f"trial {name}: {len(working)} thread(s) started "
                      "after the model was built are still alive and working after forward returned "
                      "(work outside forward?)"})
    if after.children:
        names = ", ".join(f"{n} ({p})" for p, n in list(after.children.items())[:4])
        flags.append({"rule": "children_after_forward", "message": f"trial {name}: child process(es) alive after "
                      f"forward returned: {names}"})
    if check_cpu and ref_s is not None:
        limit = HOST_CPU_SLACK_S + HOST_CPU_FACTOR * ref_s
        if cpu > limit:
            flags.append({"rule": "host_cpu_time", "message": f"trial {name}: {cpu:.2f} s of host CPU time for a forward "
                          f"the reference runs in {ref_s * 1e3:.3g} ms on the GPU (limit {limit:.2f} s): host-side compute?"})
    return ev, flags
