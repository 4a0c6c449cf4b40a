#!/bin/bash
# Everything that needs a GPU, in one go (the GPU machine has python3 with torch + triton; no
# node, no network). Logs and JSON land in $OUT (default /tmp/tritonize-gpu).
#   bash bench/gpu_batch.sh tests   # pytest -m gpu: cheat library on CUDA, GPU-only cheats, server
#   bash bench/gpu_batch.sh bench   # examples: eager/Inductor/candidate, spread; server latency
set -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH=$ROOT/python-backend PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/tritonize-gpu}
mkdir -p "$OUT"
part=${1:-all}
nvidia-smi -L 2>/dev/null
python3 -c "import sys, torch, triton; print('python', sys.version.split()[0], 'torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_name())"
if [ "$part" = tests ] || [ "$part" = all ]; then
  (cd "$ROOT/python-backend" && timeout ${TESTS_TIMEOUT:-500} python3 -m pytest tests -m gpu -q -p no:cacheprovider --timeout 300 -rfE \
     2>&1 | tee "$OUT/gpu_tests.log" | tail -25)
  # The kernel server end to end over stdio (its verify requests use device "auto" = this GPU).
  (cd "$ROOT/python-backend" && timeout ${SERVER_TIMEOUT:-150} python3 -m pytest tests/server -q -p no:cacheprovider -x \
     2>&1 | tee "$OUT/server_tests.log" | tail -5)
fi
if [ "$part" = bench ] || [ "$part" = all ]; then
  timeout ${BENCH_TIMEOUT:-420} python3 "$ROOT/bench/verifier_bench.py" --device cuda --repeats ${REPEATS:-3} --json "$OUT/verifier_bench.json" 2>&1 \
     | tee "$OUT/verifier_bench.log" | grep -v '^{'
  timeout 120 python3 "$ROOT/bench/server_latency.py" --device cuda 2>&1 | tee "$OUT/server_latency.log" | tail -12
fi
