#!/usr/bin/env bash
# Writes one Inductor-derived candidate per problem (GPU only): `tritonize inductor-candidate`.
#   bench/suite/make_inductor_candidates.sh [PROBLEMS_DIR] [OUT_DIR] [JOBS]
# Defaults: bench/suite/problems, bench/suite/inductor_candidates, 4 problems at a time (Inductor's
# compile is CPU-bound; the GPU only runs each problem once plus the GEMM autotuning).
# Needs `python3 -m tritonize.cli` importable (PYTHONPATH=python-backend or the editable install).
# Prints one line per problem; a failed problem leaves OUT_DIR/NAME.py.log with the reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
problems=${1:-$here/problems}
out=${2:-$here/inductor_candidates}
jobs=${3:-4}
py=${PYTHON:-python3}
mkdir -p "$out"
export TRITONIZE_INDUCTOR_DUMP=${TRITONIZE_INDUCTOR_DUMP:-$out}
one() {
  local f=$1 n
  n=$(basename "$f")
  local t0=$SECONDS
  if "$py" -m tritonize.cli inductor-candidate "$f" --out "$out/$n" >"$out/$n.log" 2>&1; then
    echo "ok      $n ($((SECONDS - t0)) s)"
  else
    echo "FAILED  $n ($((SECONDS - t0)) s): $(tail -n 1 "$out/$n.log")"
  fi
}
export -f one
export py out
ls "$problems"/*.py | xargs -P "$jobs" -I{} bash -c 'one "$@"' _ {}
echo "candidates in $out: $(ls "$out"/*.py 2>/dev/null | grep -vc output_code)"
