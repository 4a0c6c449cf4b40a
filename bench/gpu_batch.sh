#!/bin/bash
# Everything that needs a GPU, in two calls on the device machine (python3 with torch + triton; no
# node, no network). Logs land in $OUT (default /tmp/tritonize-gpu). Each part has its own timeout.
#   bash bench/gpu_batch.sh trust   # sandbox on CUDA, GPU tests (sandbox, protocol, rules, timing,
#                                   # verdict library), the scale bench, Inductor candidates -> /tmp/cands
#   bash bench/gpu_batch.sh legit   # false-reject table (bench/legit_table.py) beside the GPU verdict
#                                   # library run with pytest-xdist (wheels in $WHEELS, if carried)
#   bash bench/gpu_batch.sh scale   # verify at scale alone (64 MB, 1 GB, 6 GB)
#   bash bench/gpu_batch.sh suite   # Inductor candidates, then the suite on them (table in $OUT/suite.md)
#   bash bench/gpu_batch.sh gen     # Inductor candidates only ($OUT/cands.tgz); suiterun: the suite on $CANDS
#   bash bench/gpu_batch.sh library # the GPU verdict library (LIB_K="perturb or host" narrows it)
#   bash bench/gpu_batch.sh scale gen library   # several parts in one call, in order
#   bash bench/gpu_batch.sh spread  # two GPUs (bench/two_gpu.py) or, on one GPU, the suite alone
set -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH=$ROOT/python-backend PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/tritonize-gpu}
[ -n "${WHEELS:-}" ] && WHEELS=$(realpath "$WHEELS")  # before the cd below
CANDS=${CANDS:-/tmp/cands}
mkdir -p "$OUT"
cd "$ROOT/python-backend"
nvidia-smi -L
python3 -c "import sys, torch, triton; print('python', sys.version.split()[0], 'torch', torch.__version__, 'triton', triton.__version__, torch.cuda.device_count(), 'GPU(s)')"
if [ $# -gt 1 ]; then  # several parts, one after another: bash bench/gpu_batch.sh scale gen library
  for p in "$@"; do echo "==== part $p"; bash "$ROOT/bench/gpu_batch.sh" "$p"; done; exit 0
fi
part=${1:-trust}
if [ "$part" = trust ]; then
  echo "== sandbox on CUDA"
  timeout 60 python3 ../bench/sandbox_gpu_diag.py > "$OUT/sandbox_diag.log" 2>&1; grep -i "design\|abi\|cuda_ok" "$OUT/sandbox_diag.log" | head -8
  timeout 90 python3 -m tritonize.cli bench tests/problems/softmax.py tests/candidates/softmax_correct.py --device cuda --json > "$OUT/softmax_bench.json" 2> "$OUT/softmax_bench.err"
  python3 -c "import json;r=json.load(open('$OUT/softmax_bench.json'));t=r.get('timings') or {};print(r['verdict'],'|',r['summary'][:300],'|',(r.get('sandbox') or {}).get('summary'),'| clock',t.get('clock'))" || tail -5 "$OUT/softmax_bench.err"
  echo "== GPU tests"
  (bash ../bench/suite/make_inductor_candidates.sh ../bench/suite/problems "$CANDS" 6 > "$OUT/gen.log" 2>&1 &)
  timeout 260 python3 -m pytest tests/test_sandbox.py tests/test_protocol.py tests/test_rules.py tests/test_timing.py tests/test_verdicts.py \
    -m gpu -q -p no:cacheprovider --timeout 120 -rfE > "$OUT/gpu_tests.log" 2>&1; tail -30 "$OUT/gpu_tests.log"
  echo "== scale"
  timeout 150 python3 ../bench/verify_scale.py --device cuda --json "$OUT/scale.json" > "$OUT/scale.log" 2>&1; tail -12 "$OUT/scale.log"
  wait; sleep 1; tail -4 "$OUT/gen.log"
fi
# The GPU verdict library (timing tests left to their own runs), on pytest-xdist when its wheels
# were carried ($WHEELS: the machine has no network), installed into a private folder.
library() {  # library TIMEOUT_S
  local xdist=""
  if python3 -c "import xdist" 2>/dev/null; then xdist="-n ${NPROC:-8}"
  elif [ -d "${WHEELS:-}" ] && python3 -m pip install -q --no-deps --no-index --find-links "$WHEELS" --target /tmp/pyx \
       pytest-xdist execnet > "$OUT/pip.log" 2>&1; then xdist="-n ${NPROC:-8}"; fi
  PYTHONPATH=/tmp/pyx:$PYTHONPATH timeout "$1" python3 -m pytest tests/test_sandbox.py tests/test_protocol.py tests/test_rules.py \
    tests/test_verdicts.py tests/test_workers.py -m gpu -q -p no:cacheprovider --timeout 200 -rfE $xdist \
    -k "not bench and not timing${LIB_K:+ and ($LIB_K)}" > "$OUT/gpu_tests.log" 2>&1
}
if [ "$part" = library ]; then  # the GPU verdict library alone (LIB_K narrows it: LIB_K="perturb or host")
  library ${LIB_TIMEOUT:-300}; tail -40 "$OUT/gpu_tests.log"
fi
if [ "$part" = gen ]; then  # Inductor candidates only, with Inductor's raw output code, as $OUT/cands.tgz
  TRITONIZE_INDUCTOR_DUMP=$CANDS timeout ${GEN_TIMEOUT:-170} bash ../bench/suite/make_inductor_candidates.sh \
    ../bench/suite/problems "$CANDS" ${GEN_JOBS:-12} > "$OUT/gen.log" 2>&1; grep -v "^ok" "$OUT/gen.log" | tail -12
  tar -C "$CANDS" -czf "$OUT/cands.tgz" . 2>/dev/null
fi
if [ "$part" = suiterun ]; then  # the suite on candidates made earlier (CANDS, e.g. a carried folder; ONLY narrows it)
  only=""; for n in ${ONLY:-}; do only="$only --only $n"; done  # a subset: ONLY="01_relu 02_gelu"
  timeout ${SUITE_TIMEOUT:-540} python3 -m tritonize.cli suite ../bench/suite/problems "$CANDS" --device cuda $only \
    --budget ${BUDGET:-1} --json "$OUT/suite.json" --markdown "$OUT/suite.md" 2> "$OUT/suite.log"; echo "suite rc $?"
  cat "$OUT/suite.md"
fi
if [ "$part" = legit ]; then  # the false-reject table beside the library
  (timeout ${LEGIT_TIMEOUT:-420} python3 ../bench/legit_table.py --device cuda --jobs 6 --json "$OUT/legit.json" > "$OUT/legit.md" 2> "$OUT/legit.err"; echo "legit rc $?" >> "$OUT/legit.md") &
  library ${LIB_TIMEOUT:-480}; tail -40 "$OUT/gpu_tests.log"
  wait; cat "$OUT/legit.md"
fi
scale() {  # scale TIMEOUT_S: verify at 64 MB, 1 GB, 6 GB (bench/verify_scale.py)
  timeout "$1" python3 ../bench/verify_scale.py --device cuda --sizes ${SCALE_SIZES:-64M,1G,6G} \
    --json "$OUT/scale.json" > "$OUT/scale.log" 2>&1; echo "scale rc $?"
}
if [ "$part" = final ]; then  # the library beside the scale bench, then the kernel-time table alone
  library ${LIB_TIMEOUT:-220} &
  scale ${SCALE_TIMEOUT:-200}
  wait; tail -45 "$OUT/gpu_tests.log"; echo "== scale (beside the library run)"; tail -14 "$OUT/scale.log"
  echo "== kernel time (alone)"
  export PATH=$PATH:/usr/local/cuda/bin
  timeout ${TABLE_TIMEOUT:-280} python3 ../bench/kernel_time.py --calls ${CALLS:-20} --json "$OUT/kernel_time.json" > "$OUT/kernel_time.log" 2>&1
  grep -v '^{' "$OUT/kernel_time.log" | tail -14
fi
if [ "$part" = scale ]; then  # verify at scale alone (the suite part makes the Inductor candidates)
  scale ${SCALE_TIMEOUT:-240}; tail -14 "$OUT/scale.log"
fi
if [ "$part" = suite ]; then  # Inductor candidates, then the 23-problem suite on them (verify + benchmark)
  probs=../bench/suite/problems
  if [ -n "${ONLY:-}" ]; then  # a subset: ONLY="04_bias_scale_tanh 11_layernorm"
    probs=/tmp/suite-subset; mkdir -p $probs; for n in $ONLY; do cp ../bench/suite/problems/$n.py $probs/; done
  fi
  TRITONIZE_INDUCTOR_DUMP=/tmp/inductor-dump timeout ${GEN_TIMEOUT:-170} bash ../bench/suite/make_inductor_candidates.sh \
    $probs "$CANDS" ${GEN_JOBS:-12} > "$OUT/gen.log" 2>&1; grep -v "^ok" "$OUT/gen.log" | tail -12
  timeout ${SUITE_TIMEOUT:-370} python3 -m tritonize.cli suite $probs "$CANDS" --device cuda \
    --budget ${BUDGET:-1} --json "$OUT/suite.json" --markdown "$OUT/suite.md" 2> "$OUT/suite.log"; echo "suite rc $?"
  cat "$OUT/suite.md"; tar -C "$CANDS" -czf "$OUT/cands.tgz" . 2>/dev/null
fi
if [ "$part" = spread ]; then
  ngpu=$(python3 -c "import torch; print(torch.cuda.device_count())")
  if [ "$ngpu" -ge 2 ]; then
    cd "$ROOT" && timeout 560 python3 bench/two_gpu.py --out "$OUT" --suite-candidates "$CANDS" --timeout-c 280 2>&1 | tail -40
  else
    timeout 400 python3 -m tritonize.cli suite ../bench/suite/problems "$CANDS" --device cuda --budget 1 \
      --json "$OUT/suite.json" --markdown "$OUT/suite.md" 2> "$OUT/suite.log"; cat "$OUT/suite.md"
  fi
fi
