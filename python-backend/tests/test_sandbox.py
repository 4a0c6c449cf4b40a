"""The candidate worker's privilege boundary (worker/sandbox.py) and the judge's self-check
(judge/integrity.py), end to end through the real verifier.

Each tests/candidates/escape_*.py is a correct vector add that also attacks: writes the verifier's
package, the user's home and project, reads a planted secret, connects to listeners this test
opens, signals and ptraces the parent and a bystander, poisons Triton caches. Inside the sandbox
every attack must fail while the kernel is still judged `correct`; the same file with the sandbox
off (TRITONIZE_NO_SANDBOX=1) must escape, which proves each attack is real. The static rules are
switched off here on purpose: they would reject most of these files before they run, and this
test is about what holds when static analysis misses something.

    cd python-backend && ../.venv/bin/python -m pytest tests/test_sandbox.py -q            # CPU
    cd python-backend && python -m pytest tests/test_sandbox.py -q -m gpu                  # on a GPU box
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tritonize.judge import integrity, process, run
from tritonize.judge.pool import WorkerPool
from tritonize.worker import sandbox

HERE = Path(__file__).parent
CANDIDATES = HERE / "candidates"
PROBLEM = HERE / "problems" / "vector_add.py"
ABI = sandbox.landlock_abi()[0]
needs_landlock = pytest.mark.skipif(ABI < 6, reason=f"needs Landlock ABI >= 6 (this kernel: {ABI})")


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # pragma: no cover
        return False


DEVICES = ["cpu"] + (["cuda"] if _cuda() else [])


class Listeners:
    """A TCP listener, a UDP socket and a pathname UNIX socket on this machine, recording anything
    that reaches them."""

    def __init__(self, tmp: Path):
        self.hits: list[str] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix_path = str(tmp / "agent.sock")
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(self.unix_path)
        self.unix.listen()
        for s in (self.tcp, self.udp, self.unix):
            s.settimeout(0.2)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for name, s in (("tcp", self.tcp), ("unix", self.unix)):
                try:
                    conn, _ = s.accept()
                    self.hits.append(name)
                    conn.close()
                except OSError:
                    pass
            try:
                self.udp.recvfrom(100)
                self.hits.append("udp")
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._t.join(5)
        for s in (self.tcp, self.udp, self.unix):
            s.close()


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A fake user: home with a secret, a project folder, listeners, a bystander process, a
    SIGUSR1 recorder in this (the verifier's) process, and caches under tmp."""
    home, project = tmp_path / "home", tmp_path / "project"
    (home / ".config").mkdir(parents=True)
    project.mkdir()
    secret = "sk-test-" + secrets.token_hex(16)
    (home / ".config" / "secret.txt").write_text(secret)
    (project / "model_code.py").write_text("x = 1\n")
    nets = Listeners(tmp_path)
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    got_signal: list[int] = []
    old = signal.signal(signal.SIGUSR1, lambda s, f: got_signal.append(s))
    tag = secrets.token_hex(4)
    env = {"TRITONIZE_ESCAPE_HOME": str(home), "TRITONIZE_ESCAPE_PROJECT": str(project), "TRITONIZE_ESCAPE_TCP_PORT": str(nets.tcp.getsockname()[1]),
           "TRITONIZE_ESCAPE_UDP_PORT": str(nets.udp.getsockname()[1]), "TRITONIZE_ESCAPE_UNIX_SOCKET": nets.unix_path,
           "TRITONIZE_ESCAPE_VICTIM_PID": str(victim.pid), "TRITONIZE_ESCAPE_TAG": tag, "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "TRITONIZE_ESCAPE_XDG": str(tmp_path / "xdg")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # The runtime boundary is under test, not the static rules (see the module docstring).
    monkeypatch.setattr(run.static_rules, "check_source", lambda *a, **k: [])
    w = {"home": home, "project": project, "secret": secret, "nets": nets, "victim": victim, "signals": got_signal,
         "tag": tag, "xdg": tmp_path / "xdg", "refs": {}}
    try:
        yield w
    finally:
        signal.signal(signal.SIGUSR1, old)
        nets.close()
        victim.kill()
        victim.wait()
        Path("/tmp", f"tritonize-escape-{tag}").unlink(missing_ok=True)


def verify(world: dict, name: str, sandboxed: bool, device: str = "cpu") -> dict:
    env = {} if sandboxed else {"TRITONIZE_NO_SANDBOX": "1"}
    pool = WorkerPool(device, size=1, env=env)
    try:
        return run.verify(PROBLEM, CANDIDATES / name, device=device, timeout=120, pool=pool,
                          options={"reference_cache": world["refs"], "seed": 7})
    finally:
        pool.close()


def assert_held(rep: dict, world: dict) -> None:
    """The attack failed: the kernel is correct, the report names an enforced sandbox, and no
    secret reached the report."""
    # The static rules and the audit guard (docs/verdicts.md) may reject the attempt before it
    # reaches the OS boundary; either way the side effect must not happen (checked by the caller).
    if rep["verdict"] == "rejected":
        assert _earlier_layer(rep), json.dumps(rep, default=str)[:3000]
    else:
        assert rep["verdict"] == "correct", json.dumps(rep, default=str)[:3000]
        assert rep["sandbox"]["enforced"] is True, rep["sandbox"]
    assert world["secret"] not in json.dumps(rep, default=str)


def _earlier_layer(rep: dict) -> bool:
    return any(d.get("rule") not in ("runtime_error", "mismatch") for d in rep.get("diagnostics", [])) and \
        rep["summary"].startswith("rule ")


def assert_escaped(rep: dict, what: str) -> None:
    text = json.dumps(rep, default=str)
    if "ESCAPED" not in text:
        # The audit guard (worker/guard.py) refuses these calls in-process too, so with it on the
        # attack cannot be shown to work without the OS sandbox. The held side (assert_held and
        # the side-effect checks) still runs.
        pytest.skip("the audit guard stops this attempt before the OS boundary")
    assert "ESCAPED" in text and what in text, text[:3000]
    assert rep["sandbox"]["enforced"] is False and "NOT enforced" in rep["sandbox"]["summary"]


# ------------------------------------------------------------------------------------------------
# Escapes: inside the sandbox (must hold) and outside it (the control: must escape)


@needs_landlock
@pytest.mark.timeout(600)
def test_write_user_files(world):
    targets = [world["home"] / ".bashrc", world["project"] / "model_code.py", Path("/tmp", f"tritonize-escape-{world['tag']}")]
    before = [t.read_bytes() if t.exists() else None for t in targets]
    assert_held(verify(world, "escape_write_user_files.py", True), world)
    assert [t.read_bytes() if t.exists() else None for t in targets] == before
    assert_escaped(verify(world, "escape_write_user_files.py", False), "wrote")
    assert b"pwned" in (world["home"] / ".bashrc").read_bytes()


@needs_landlock
@pytest.mark.timeout(600)
def test_read_secret_never_reaches_the_report(world):
    assert_held(verify(world, "escape_read_secret.py", True), world)
    rep = verify(world, "escape_read_secret.py", False)
    assert_escaped(rep, "read")
    assert world["secret"] in json.dumps(rep)  # the control: without the sandbox it leaks


@needs_landlock
@pytest.mark.timeout(600)
def test_network(world):
    assert_held(verify(world, "escape_network.py", True), world)
    time.sleep(0.5)
    assert world["nets"].hits == []
    assert_escaped(verify(world, "escape_network.py", False), "TCP connect")
    time.sleep(0.5)
    assert {"tcp", "udp", "unix"} <= set(world["nets"].hits)


@needs_landlock
@pytest.mark.timeout(600)
def test_signal_parent_and_bystander(world):
    assert_held(verify(world, "escape_signal_parent.py", True), world)
    assert world["signals"] == [] and world["victim"].poll() is None
    assert_escaped(verify(world, "escape_signal_parent.py", False), "signalled")
    assert world["signals"] == [signal.SIGUSR1]
    assert world["victim"].wait(10) == -signal.SIGUSR1


def _open_files_limit(pid: int) -> str:
    return next(ln for ln in Path(f"/proc/{pid}/limits").read_text().splitlines() if ln.startswith("Max open files"))


@needs_landlock
@pytest.mark.timeout(600)
def test_prlimit_and_renice_of_other_processes(world):
    """Red team 8: prlimit(pid, RLIMIT_CPU, (1, 1)) killed a process outside the sandbox (and the zygote)."""
    victim = world["victim"].pid
    before, nice = _open_files_limit(victim), os.getpriority(os.PRIO_PROCESS, victim)
    assert_held(verify(world, "escape_prlimit_bystander.py", True), world)
    assert _open_files_limit(victim) == before and os.getpriority(os.PRIO_PROCESS, victim) == nice
    assert world["victim"].poll() is None
    assert_escaped(verify(world, "escape_prlimit_bystander.py", False), "prlimit")
    assert " 63 " in _open_files_limit(victim)


@needs_landlock
@pytest.mark.timeout(600)
def test_no_device_nodes_in_the_scratch_folder(world):
    assert_held(verify(world, "escape_mknod_device.py", True), world)
    if os.geteuid() == 0:  # making a device node needs CAP_MKNOD anyway
        assert_escaped(verify(world, "escape_mknod_device.py", False), "opened device node")


@needs_landlock
@pytest.mark.timeout(600)
def test_ptrace_parent_and_bystander(world):
    assert_held(verify(world, "escape_ptrace_parent.py", True), world)
    rep = verify(world, "escape_ptrace_parent.py", False)
    if os.geteuid() == 0 or Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip() == "0":
        assert_escaped(rep, "ptrace-seized")  # the control only works where the OS allows it anyway


@needs_landlock
@pytest.mark.timeout(600)
def test_write_backend_fails_closed(world):
    probe = integrity.PACKAGE / "judge" / "_escape_probe.py"
    assert not probe.exists()
    rep = verify(world, "escape_write_backend.py", True)
    assert_held(rep, world)
    assert not probe.exists() and integrity.tampered() == []
    # Control, without the sandbox, on a private copy of the verifier in its own process: the
    # write succeeds there, and that verifier fails closed. (On the real package it would poison
    # every verify running beside this test: the test stage runs two at a time.)
    out = _control_on_a_copy(world["xdg"].parent)
    assert out["package"].startswith(str(world["xdg"].parent)) and out["probe"]
    rep, later = out["rep"], out["later"]
    assert rep["verdict"] == "rejected" and rep["summary"].startswith("rule verifier_tampered"), rep["summary"]
    assert "judge/_escape_probe.py" in rep["summary"]
    # Fails closed: every later verify is refused without starting a worker.
    assert later["verdict"] == "rejected" and "verifier_tampered" in later["summary"]
    assert "restart" in later["summary"]
    assert not probe.exists()


def _control_on_a_copy(tmp: Path) -> dict:
    copy = tmp / "backend-copy"
    shutil.copytree(integrity.PACKAGE, copy / "tritonize", ignore=shutil.ignore_patterns("__pycache__"))
    script = tmp / "control.py"
    script.write_text(
        "import json\n"
        "from tritonize.judge import integrity, run\n"
        "from tritonize.judge.pool import WorkerPool\n"
        "run.static_rules.check_source = lambda *a, **k: []  # the OS boundary is under test\n"
        "pool = WorkerPool('cpu', size=1, env={'TRITONIZE_NO_SANDBOX': '1'})\n"
        f"rep = run.verify({str(PROBLEM)!r}, {str(CANDIDATES / 'escape_write_backend.py')!r}, device='cpu', "
        "timeout=120, pool=pool, options={'seed': 7})\n"
        "pool.close()\n"
        f"later = run.verify({str(PROBLEM)!r}, {str(CANDIDATES / 'vector_add_correct.py')!r}, device='cpu', pool=None)\n"
        "print(json.dumps({'rep': rep, 'later': later, 'package': str(integrity.PACKAGE),\n"
        "                  'probe': (integrity.PACKAGE / 'judge' / '_escape_probe.py').exists()}))\n")
    proc = subprocess.run([sys.executable, str(script)], env={**os.environ, "PYTHONPATH": str(copy)},
                          capture_output=True, text=True, timeout=500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_landlock
@pytest.mark.timeout(600)
def test_triton_cache_is_private_per_worker(world):
    for _ in range(2):  # the second worker must not see the first one's plant
        assert_held(verify(world, "escape_triton_cache.py", True), world)
    planted = "poison-" + world["tag"]
    trusted = Path(process.trusted_triton_cache())
    assert str(trusted).startswith(str(world["xdg"]))
    assert not (trusted / planted).exists()
    assert not (world["home"] / ".triton" / "cache" / planted).exists()
    # Control: without the sandbox the shared caches are reachable and the next run sees the plant.
    verify(world, "escape_triton_cache.py", False)
    assert (trusted / planted).exists()
    assert_escaped(verify(world, "escape_triton_cache.py", False), "saw an earlier candidate")


def test_every_escape_candidate_is_tested():
    source = Path(__file__).read_text()
    for p in CANDIDATES.glob("escape_*.py"):
        assert f'"{p.name}"' in source, p.name
        assert "Problem: vector_add.py" in p.read_text()[:800]


# ------------------------------------------------------------------------------------------------
# The boundary itself, without torch: a fresh interpreter applies it and reports what it could do.

PROBE = r"""
import ctypes, errno, json, os, socket, subprocess, sys
from tritonize.worker import sandbox
home, job, outside = sys.argv[1], sys.argv[2], sys.argv[3]
status = sandbox.apply(home, job, [os.getppid()])
res = {"status": status}
def attempt(name, fn):
    try:
        fn()
        res[name] = "ok"
    except OSError as e:
        res[name] = errno.errorcode.get(e.errno, str(e.errno))
def write(p):
    with open(p, "w") as f:
        f.write("x")
def read(p):
    with open(p, "rb") as f:
        f.read(1)
attempt("write_home", lambda: write(os.path.join(home, "f")))
attempt("write_outside", lambda: write(outside))
attempt("read_job", lambda: read(os.path.join(job, "input.txt")))
attempt("write_job", lambda: write(os.path.join(job, "input.txt")))
attempt("read_etc_hostname", lambda: read("/etc/hostname"))
attempt("read_python_stdlib", lambda: read(os.__file__))
attempt("read_proc_self", lambda: read("/proc/self/status"))
attempt("read_proc_parent", lambda: read(f"/proc/{os.getppid()}/cmdline"))
attempt("kill_parent_0", lambda: os.kill(os.getppid(), 0))
attempt("kill_all_0", lambda: os.kill(-1, 0))
attempt("socket_inet", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
attempt("socket_unix", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
attempt("connect_unix", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(sys.argv[4]))
attempt("sendto_unix", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"x", sys.argv[5]))
attempt("socketpair", lambda: socket.socketpair())
# Datagram sockets: sendmsg(msg_name) reaches any pathname socket and seccomp cannot read the
# address (red team 9 sent the trial inputs to a listener outside); so no datagram socket at all.
attempt("socket_unix_dgram", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
attempt("socketpair_dgram", lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM))
attempt("socket_unix_dgram_cloexec", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC))
attempt("setsid", lambda: os.setsid())
import resource, stat
attempt("prlimit_parent", lambda: resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE))
attempt("prlimit_self", lambda: resource.prlimit(0, resource.RLIMIT_NOFILE))
attempt("getrlimit_self", lambda: resource.getrlimit(resource.RLIMIT_NOFILE))
attempt("setpriority_parent", lambda: os.setpriority(os.PRIO_PROCESS, os.getppid(), 0))
attempt("setaffinity_parent", lambda: os.sched_setaffinity(os.getppid(), os.sched_getaffinity(os.getppid())))
attempt("setaffinity_self", lambda: os.sched_setaffinity(0, os.sched_getaffinity(0)))
attempt("setpriority_self", lambda: os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0)))
attempt("mknod_home", lambda: os.mknod(os.path.join(home, "kmsg"), stat.S_IFCHR | 0o600, os.makedev(1, 11)))
attempt("mkfifo_home", lambda: os.mkfifo(os.path.join(home, "fifo")))
# Red team 10: metadata of files outside (Landlock does not mediate it), the clock, identities,
# real-time scheduling, every process of the user, inotify, abstract sockets: what a candidate's
# job gives up before its code loads (the exec denial of a CPU job is probed separately).
res["harden_missing"] = sandbox.harden_for_candidate(cpu=False)
target = sys.argv[6]
attempt("chmod_outside", lambda: os.chmod(target, 0o777))
def fchmod_read_fd():  # a file it may read (the verifier's own Python, in red team 10)
    fd = os.open(os.path.join(job, "input.txt"), os.O_RDONLY)
    try:
        os.fchmod(fd, 0)
    finally:
        os.close(fd)
attempt("fchmod_outside", fchmod_read_fd)
attempt("chown_outside", lambda: os.chown(target, 65534, 65534))
attempt("utime_outside", lambda: os.utime(target, (0, 0)))
attempt("setxattr_outside", lambda: os.setxattr(target, "user.tz", b"x"))
attempt("chmod_home", lambda: os.chmod(os.path.join(home, "f"), 0o600))
import time
attempt("clock_settime", lambda: time.clock_settime(time.CLOCK_REALTIME, time.clock_gettime(time.CLOCK_REALTIME)))
attempt("setuid", lambda: os.setuid(os.getuid()))
attempt("sched_fifo", lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1)))
attempt("nice_down", lambda: os.setpriority(os.PRIO_PROCESS, 0, -5))
attempt("setpriority_user", lambda: os.setpriority(os.PRIO_USER, 0, os.getpriority(os.PRIO_PROCESS, 0)))
attempt("bind_abstract", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind("\0tz-probe"))
def inotify():
    if ctypes.CDLL(None, use_errno=True).inotify_init1(0) < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
attempt("inotify", inotify)
res["capeff"] = next((ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("CapEff")), None)
libc = ctypes.CDLL(None, use_errno=True)
def unshare_user():
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        raise OSError(ctypes.get_errno(), "unshare")
attempt("unshare_user", unshare_user)
def write_own_mem():  # pygpubench's exploits patch their own code through /proc/self/mem
    with open("/proc/self/mem", "r+b"):
        pass
attempt("write_proc_self_mem", write_own_mem)
# ptrace from a forked helper: the target (this process) is inside the same domain, so only
# seccomp stops it (pygpubench's ptrace POKETEXT exploit).
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
me = os.getpid()
pid = os.fork()
if pid == 0:
    rc = libc.ptrace(0x4206, me, None, None)  # PTRACE_SEIZE
    os._exit(0 if rc == 0 else (ctypes.get_errno() or 99))
res["ptrace_from_child"] = errno.errorcode.get(os.waitpid(pid, 0)[1] >> 8, "ok")
# A child (exec'd) inherits the domain: it cannot write outside either, but can write home.
child = subprocess.run(["/bin/sh", "-c", f"echo x > {outside}.child; echo $?; echo y > {home}/child.txt"], capture_output=True, text=True)
res["child_write_outside_rc"] = child.stdout.split()[0] if child.stdout else child.returncode
res["child_write_home"] = os.path.exists(os.path.join(home, "child.txt"))
import shutil
cc = shutil.which("gcc") or shutil.which("cc")
if cc:  # Triton's launcher stub is built like this, inside the sandbox when not cached
    src = os.path.join(home, "t.c")
    write(src)
    with open(src, "w") as f:
        f.write("int f(void){return 1;}\n")
    r = subprocess.run([cc, src, "-O3", "-shared", "-fPIC", "-o", os.path.join(home, "t.so")], capture_output=True, text=True)
    res["cc"] = r.returncode
    res["cc_err"] = r.stderr[-500:]
print(json.dumps(res))
"""


@needs_landlock
def test_boundary_probe(tmp_path):
    home, job = tmp_path / "home", tmp_path / "job"
    home.mkdir()
    job.mkdir()
    (job / "input.txt").write_text("inputs")
    outside = tmp_path / "outside.txt"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # stands for D-Bus, docker.sock, ssh-agent
    listener.bind(str(tmp_path / "bus"))
    listener.listen()
    dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # stands for journald / syslog
    dgram.bind(str(tmp_path / "log"))
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "TMPDIR": str(home), "HOME": str(home)}
    t0 = time.perf_counter()
    target = tmp_path / "target.txt"
    target.write_text("mine")
    target.chmod(0o644)
    mtime = target.stat().st_mtime
    input_mode = (job / "input.txt").stat().st_mode & 0o777
    out = subprocess.run([sys.executable, "-c", PROBE, str(home), str(job), str(outside), str(tmp_path / "bus"),
                          str(tmp_path / "log"), str(target)], capture_output=True,
                         text=True, env=env, timeout=120, cwd=str(home))
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    st = res["status"]
    assert st["enforced"] is True and st["threads_at_start"] == 1 and st["landlock_abi"] == ABI, st
    assert all(p["enforced"] for p in st["protections"].values()), st
    assert res["write_home"] == "ok" and res["read_job"] == "ok" and res["read_python_stdlib"] == "ok"
    assert res["read_proc_self"] == "ok"
    assert res["write_outside"] == "EACCES" and not outside.exists()
    assert res["write_job"] == "EACCES"
    if Path("/etc/hostname").exists():
        assert res["read_etc_hostname"] == "EACCES"
    assert res["read_proc_parent"] == "EACCES"
    assert res["kill_parent_0"] == "EPERM" and res["kill_all_0"] == "EPERM"
    assert res["write_proc_self_mem"] == "EACCES"
    for k in ("socket_inet", "connect_unix", "sendto_unix", "setsid", "unshare_user", "ptrace_from_child",
              "prlimit_parent", "setpriority_parent", "socket_unix_dgram", "socketpair_dgram", "setaffinity_parent",
              "socket_unix_dgram_cloexec", "chmod_outside", "fchmod_outside", "chown_outside", "utime_outside",
              "setxattr_outside", "chmod_home", "clock_settime", "setuid", "setpriority_user", "bind_abstract", "inotify"):
        assert res[k] == "EPERM", (k, res[k])
    assert target.stat().st_mode & 0o777 == 0o644 and target.stat().st_mtime == mtime and target.read_text() == "mine"
    assert (job / "input.txt").stat().st_mode & 0o777 == input_mode
    # Without capabilities (a root worker had them all): no real-time scheduling, no lower nice.
    assert res["sched_fifo"] == "EPERM" and res["nice_down"] in ("EACCES", "EPERM"), res
    assert int(res["capeff"], 16) == 0, res["capeff"]
    assert res["harden_missing"] == [], res["harden_missing"]
    # Own limits and priority stay usable (glibc's getrlimit is prlimit64 with pid 0); no device
    # nodes in the scratch folder (Landlock; as root this was /dev/kmsg, red team 8); FIFOs are fine.
    assert res["prlimit_self"] == res["getrlimit_self"] == res["setpriority_self"] == res["setaffinity_self"] == "ok", res
    assert res["mknod_home"] in ("EACCES", "EPERM") and not (home / "kmsg").exists()
    assert res["mkfifo_home"] == "ok"
    assert res["socketpair"] == "ok" and res["socket_unix"] == "ok"
    listener.settimeout(0.1)
    with pytest.raises(OSError):
        listener.accept()
    dgram.settimeout(0.1)
    with pytest.raises(OSError):
        dgram.recv(10)
    assert res["child_write_outside_rc"] != "0" and not Path(f"{outside}.child").exists()
    assert res["child_write_home"] is True
    if "cc" in res:
        assert res["cc"] == 0, res["cc_err"]
        assert (home / "t.so").exists()


def test_report_says_not_enforced_plainly(monkeypatch):
    monkeypatch.setenv("TRITONIZE_NO_SANDBOX", "1")
    w = process.Worker("cpu")
    try:
        w.wait_ready(120)
        st = w.sandbox
    finally:
        w.kill()
    assert st["enforced"] is False and st["summary"].startswith("NOT enforced")
    assert "TRITONIZE_NO_SANDBOX" in st["summary"]
    assert not Path(w.scratch).exists()  # the scratch folder goes with the worker


def test_seccomp_program_shape():
    """Jumps stay within 8 bits and every deny target is the EPERM return."""
    import struct

    for machine in ("x86_64", "aarch64"):
        prog = sandbox.seccomp_program(machine, [os.getpid()])
        ins = [struct.unpack("=HBBI", prog[i:i + 8]) for i in range(0, len(prog), 8)]
        assert ins[-1] == (0x06, 0, 0, 0x00050000 | 1) and ins[-2] == (0x06, 0, 0, 0x7FFF0000)
        for i, (code, jt, jf, _k) in enumerate(ins):
            if code in (0x15, 0x35):
                for off in (jt, jf):
                    assert i + 1 + off < len(ins)


# ------------------------------------------------------------------------------------------------
# GPU: a real CUDA kernel (ptxas, Triton's C driver stub, Inductor) works inside the boundary, and
# the escapes still fail there.

CUDA_PROBE = r"""
import json, os, sys, time
from tritonize.worker import sandbox
home, job = sys.argv[1], sys.argv[2]
status = sandbox.apply(home, job, [os.getppid()])
import torch, triton, triton.language as tl

@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = o < n
    tl.store(y_ptr + o, tl.exp(tl.load(x_ptr + o, mask=m)) * 2.0, mask=m)

x = torch.randn(5000, device="cuda")
y = torch.empty_like(x)
t0 = time.perf_counter()
k[(triton.cdiv(5000, 1024),)](x, y, 5000, BLOCK=1024)
torch.cuda.synchronize()
compile_s = time.perf_counter() - t0
ok = torch.allclose(y, x.exp() * 2)
f = torch.compile(lambda a: torch.nn.functional.gelu(a) * 3)
# Inductor's fused GELU differs from eager's by float32 rounding (seen on the H200: not allclose at
# the default atol=1e-8): this checks that Inductor compiles and runs here, not its accuracy.
ind_err = (f(x) - torch.nn.functional.gelu(x) * 3).abs().max().item()
ind = ind_err < 1e-4
print(json.dumps({"status": status, "triton_ok": bool(ok), "inductor_ok": bool(ind), "inductor_err": ind_err, "compile_s": compile_s,
                  "cache_files": sum(len(fs) for _, _, fs in os.walk(os.environ["TRITON_CACHE_DIR"]))}))
"""


@pytest.mark.gpu
@pytest.mark.skipif("cuda" not in DEVICES, reason="needs a CUDA GPU")
@needs_landlock
def test_cuda_kernel_compiles_inside(tmp_path):
    home, job = tmp_path / "home", tmp_path / "job"
    job.mkdir()
    (job / "probe.py").write_text(CUDA_PROBE)  # Triton reads a kernel's source from its file
    # TRITONIZE_DEVICE=cuda as a CUDA worker has it: the CUDA-only rules (/proc/PID, /dev/shm) hang on it.
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), **process.scratch_env(str(home)), "TRITONIZE_DEVICE": "cuda"}
    for d in (home, Path(env["TMPDIR"]), Path(env["TRITON_CACHE_DIR"])):
        d.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([sys.executable, str(job / "probe.py"), str(home), str(job)], capture_output=True, text=True,
                         env=env, timeout=400, cwd=str(home))
    assert out.returncode == 0, out.stderr[-4000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print("cuda probe:", json.dumps(res))
    assert res["status"]["enforced"] is True, res["status"]
    assert res["triton_ok"] and res["inductor_ok"] and res["cache_files"] > 0


@pytest.mark.gpu
@pytest.mark.skipif("cuda" not in DEVICES, reason="needs a CUDA GPU")
@needs_landlock
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", sorted(p.name for p in CANDIDATES.glob("escape_*.py")))
def test_escapes_hold_on_cuda(world, name):
    rep = verify(world, name, True, device="cuda")
    assert_held(rep, world)
    assert rep["device"]["type"] == "cuda"
    assert world["nets"].hits == [] and world["signals"] == [] and world["victim"].poll() is None


EXEC_PROBE = r"""
import errno, json, os, subprocess, sys
from tritonize.worker import sandbox
status = sandbox.apply(sys.argv[1], sys.argv[2], [os.getppid()])
before = subprocess.run(["/bin/true"]).returncode
denied = sandbox.deny_exec()
try:
    subprocess.run(["/bin/true"])
    after = "ok"
except OSError as e:
    after = errno.errorcode.get(e.errno, str(e.errno))
try:
    os.close(os.memfd_create("ext"))
    memfd = "ok"
except OSError as e:
    memfd = errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps({"before": before, "denied": denied, "after": after, "memfd": memfd,
                  "fork_ok": os.waitpid(os.fork() or os._exit(0), 0) is not None}))
"""


@needs_landlock
def test_a_cpu_candidate_worker_starts_no_program(tmp_path):
    """Red team 9: a native extension forked and exec'd /bin/sh past the Python-level guard. Before a
    CPU candidate loads, a second seccomp filter denies execve/execveat; fork stays (torch uses it)."""
    home, job = tmp_path / "home", tmp_path / "job"
    home.mkdir()
    job.mkdir()
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "TMPDIR": str(home), "HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", EXEC_PROBE, str(home), str(job)], capture_output=True, text=True,
                         env=env, timeout=120, cwd=str(home))
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    # memfd_create too: an extension written to a memfd loads from /proc/self/fd/N (red team 10).
    assert res == {"before": 0, "denied": True, "after": "EPERM", "memfd": "EPERM", "fork_ok": True}, res


NATIVE_EXT = r"""
#include <Python.h>
static PyObject *relu(PyObject *self, PyObject *arg) { return PyLong_FromLong(7); }
static PyMethodDef M[] = {{"relu", relu, METH_O, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef D = {PyModuleDef_HEAD_INIT, "_tz_native", "", -1, M};
PyMODINIT_FUNC PyInit__tz_native(void) { return PyModule_Create(&D); }
"""

def _native_extension_blob(tmp_path) -> str:
    """NATIVE_EXT compiled into a CPython extension, base64 (skips where no compiler can build it)."""
    import base64
    import sysconfig

    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    src = tmp_path / "ext.c"
    src.write_text(NATIVE_EXT)
    so = tmp_path / "_tz_native.so"
    r = subprocess.run([cc, "-shared", "-fPIC", "-O1", f"-I{sysconfig.get_paths()['include']}", str(src), "-o", str(so)],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot build an extension here: {r.stderr[-300:]}")
    return base64.b64encode(so.read_bytes()).decode()


NATIVE_CANDIDATE = '''
import base64, io, os, sys
import torch
import triton
import triton.language as tl
home = getattr(os, "env" + "iron")["HOME"]  # past the static rules (environment_probe), as an attacker would
with getattr(io, "op" + "en")(os.path.join(home, "_tz_native.so"), "wb") as f:  # past the static rule
    f.write(base64.b64decode({blob!r}))
getattr(sys, "pa" + "th").insert(0, home)
import _tz_native


@triton.jit
def add_kernel(a, b, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out + offs, tl.load(a + offs, mask=m) + tl.load(b + offs, mask=m), mask=m)


class ModelNew(torch.nn.Module):
    def forward(self, a, b):
        out = torch.empty_like(a)
        add_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, out, a.numel(), BLOCK=1024)
        return out
'''


def test_a_cpu_candidate_cannot_load_a_native_extension_it_wrote(tmp_path):
    """Red team 9 shipped a CPython extension as base64, wrote it to its home and imported it: C code
    computed the answer on the host. Extension modules from folders the candidate can write are
    refused at import."""
    blob = _native_extension_blob(tmp_path)
    cand = tmp_path / "cand.py"
    cand.write_text(NATIVE_CANDIDATE.replace("{blob!r}", repr(blob)))
    rep = run.verify(PROBLEM, cand, device="cpu", timeout=120, pool=None)
    assert rep["verdict"] != "correct", rep["summary"]
    assert "native extension _tz_native" in rep["summary"] and "refused" in rep["summary"], rep["summary"]


NATIVE_CLOSURE_CANDIDATE = NATIVE_CANDIDATE.replace('''getattr(sys, "pa" + "th").insert(0, home)
import _tz_native
''', '''import _imp, importlib.util
# Past the create_dynamic refusal: the original function from its closure (red team 10's memfd
# route reaches the same C loader with a path outside the candidate's folders).
loader = getattr(_imp, "create_" + "dynamic")
original = next(c.cell_contents for c in (getattr(loader, "__clo" + "sure__") or ()) if callable(c.cell_contents))
spec = getattr(importlib.util, "spec_from_" + "file_location")("_tz_native", os.path.join(home, "_tz_native.so"))
_tz_native = original(spec)
''')


def test_a_native_extension_past_the_import_refusal_is_refused_by_the_audit_hook(tmp_path):
    """The C extension loader raises the `import` audit event with the file's path whoever calls it:
    an extension from outside the installed libraries, loaded on the candidate's behalf, is refused
    (rule native_code), even when the Python-level refusal is bypassed."""
    blob = _native_extension_blob(tmp_path)
    cand = tmp_path / "cand.py"
    cand.write_text(NATIVE_CLOSURE_CANDIDATE.replace("{blob!r}", repr(blob)))
    rep = run.verify(PROBLEM, cand, device="cpu", timeout=120, pool=None)
    assert rep["verdict"] == "rejected", rep["summary"]
    assert "native_code" in rep["summary"], rep["summary"]
