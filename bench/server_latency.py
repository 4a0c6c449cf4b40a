"""Verify latency: cold CLI (`tritonize verify`, a fresh process per run) vs the warm kernel server.

Time is measured from issuing the request (starting the CLI / sending `tritonize/verify`) to
having the verdict. The server's first verify is reported separately: it pays for the reference
run that later verifies of the same problem reuse; the warm figure is the steady state a person
iterating on a candidate sees.

    .venv/bin/python bench/server_latency.py                   # CPU (Triton interpreter)
    .venv/bin/python bench/server_latency.py --device cuda     # on a GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "python-backend"
sys.path.insert(0, str(BACKEND))
from tritonize.server.jsonrpc import encode_message, read_message  # noqa: E402

FIXTURES = BACKEND / "tests" / "server" / "fixtures"


class Server:
    def __init__(self, python: str):
        env = dict(os.environ, PYTHONPATH=str(BACKEND))
        self.proc = subprocess.Popen([python, "-m", "tritonize.server"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self._id = 0

    def request(self, method: str, params: dict | None = None) -> dict:
        self._id += 1
        self.proc.stdin.write(encode_message({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}))
        self.proc.stdin.flush()
        while True:
            msg = read_message(self.proc.stdout)
            if msg.get("id") == self._id and "method" not in msg:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def notify(self, method: str, params: dict | None = None) -> None:
        self.proc.stdin.write(encode_message({"jsonrpc": "2.0", "method": method, "params": params}))
        self.proc.stdin.flush()

    def close(self) -> None:
        try:
            self.request("shutdown")
            self.notify("exit")
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()


def cold_cli(python: str, problem: Path, candidate: Path, device: str) -> tuple[float, str]:
    cli = [python, "-m", "tritonize.cli"] if not (Path(python).parent / "tritonize").exists() else \
        [str(Path(python).parent / "tritonize")]
    env = dict(os.environ, PYTHONPATH=str(BACKEND))
    t0 = time.perf_counter()
    out = subprocess.run([*cli, "verify", str(problem), str(candidate), "--device", device, "--json"],
                         capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    try:
        verdict = json.loads(out.stdout)["verdict"]
    except (ValueError, KeyError):
        verdict = f"error (rc {out.returncode}): {out.stderr.strip()[-200:]}"
    return elapsed, verdict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--problem", type=Path, default=FIXTURES / "problem_add.py")
    ap.add_argument("--candidate", type=Path, default=FIXTURES / "cand_add.py")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    if args.device == "cuda":
        os.environ.pop("TRITON_INTERPRET", None)

    cold = []
    for _ in range(args.reps):
        elapsed, verdict = cold_cli(args.python, args.problem, args.candidate, args.device)
        cold.append(elapsed)
        print(f"cold CLI      {elapsed:7.2f} s  {verdict}", flush=True)

    server = Server(args.python)
    try:
        server.request("initialize", {"processId": os.getpid(), "capabilities": {}, "rootUri": None})
        server.notify("initialized", {})
        params = {"problemPath": str(args.problem), "candidatePath": str(args.candidate), "device": args.device,
                  "benchmark": False}
        t0 = time.perf_counter()
        first = server.request("tritonize/verify", params)
        first_s = time.perf_counter() - t0
        print(f"server first  {first_s:7.2f} s  {first['verdict']}  (includes worker start-up and the reference)")
        warm = []
        for _ in range(args.reps):
            time.sleep(1.0)  # let the pool replace the worker it just used, as between a person's edits
            t0 = time.perf_counter()
            report = server.request("tritonize/verify", params)
            warm.append(time.perf_counter() - t0)
            phases = " ".join(f"{k}={v:.2f}" for k, v in (report.get("phases_s") or {}).items())
            print(f"server warm   {warm[-1]:7.2f} s  {report['verdict']}  {phases}", flush=True)
    finally:
        server.close()

    cold_med, warm_med = statistics.median(cold), statistics.median(warm)
    print(f"\ndevice {args.device}: cold CLI median {cold_med:.2f} s, warm server median {warm_med:.2f} s, "
          f"server first {first_s:.2f} s -> warm server is {cold_med / warm_med:.1f}x faster than the cold CLI")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
