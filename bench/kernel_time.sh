#!/bin/bash
# Everything the benchmark work needs from a GPU, in one go; logs and JSON under $OUT.
#   bash bench/kernel_time.sh          # table (kernel_time.py) + end-to-end benches + GPU timing tests
#   PARTS=table bash bench/kernel_time.sh
set -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH=$ROOT/python-backend PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/tritonize-kernel-time}
PARTS=${PARTS:-table e2e tests}
mkdir -p "$OUT"
nvidia-smi -L; which ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null
export PATH=$PATH:$(ls -d /usr/local/cuda*/bin 2>/dev/null | head -1)
if [[ $PARTS == *table* ]]; then
  timeout ${TABLE_TIMEOUT:-300} python3 "$ROOT/bench/kernel_time.py" --json "$OUT/kernel_time.json" 2>&1 | tee "$OUT/kernel_time.log" | grep -v '^{'
fi
if [[ $PARTS == *e2e* ]]; then
  for mode in plain graph; do
    timeout 200 python3 - "$mode" <<'PY' 2>&1 | tee "$OUT/e2e_$mode.log" | tail -30
import json, os, sys
from tritonize.judge.run import verify
mode = sys.argv[1]
root = os.environ["PYTHONPATH"].rsplit("/", 1)[0]
rep = verify(f"{root}/examples/softmax/problem.py", f"{root}/examples/softmax/candidate.py", device="cuda", timeout=120,
             benchmark=True, options={"bench_budget_s": 4.0, "cuda_graph": mode == "graph"})
json.dump(rep, open(f"{os.environ.get('OUT', '/tmp')}/e2e_{mode}.json", "w"), indent=1, default=str)
t = rep.get("timings") or {}
print(mode, rep["verdict"], rep["summary"])
for k in ("clock", "eager", "inductor", "candidate", "event", "kernel", "outside", "recheck", "gpu_state", "confirm", "cuda_graph", "flags", "notes", "roofline", "speedups"):
    print(k, json.dumps(t.get(k), default=str)[:600])
PY
  done
fi
if [[ $PARTS == *tests* ]]; then
  (cd "$ROOT/python-backend" && timeout ${TESTS_TIMEOUT:-240} python3 -m pytest tests/test_timing.py tests/test_verdicts.py -m gpu -k "timing or bench" \
     -q -p no:cacheprovider --timeout 200 -rfE -x 2>&1 | tee "$OUT/gpu_timing_tests.log" | tail -25)
fi
