#!/bin/bash
# GPU batch for the verifier protocol and scale (issues 9, 10): protocol cases on CUDA, then the scale bench.
# Run from a copy of the repo on the GPU machine; logs go to $OUT.
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD/python-backend
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv > $OUT/smi.txt 2>&1
python3 -c "import torch,triton,sys;print(sys.version, torch.__version__, triton.__version__)" > $OUT/versions.txt 2>&1
if python3 -c "import pytest" 2>/dev/null; then
  (cd python-backend && timeout 150 python3 -m pytest tests/test_protocol.py -m gpu -q -p no:cacheprovider -k "protocol_cuda" > $OUT/proto_gpu.log 2>&1; echo "rc=$?" >> $OUT/proto_gpu.log)
else
  (cd python-backend && for c in forged_verified precompute_init seed_hunt; do timeout 60 python3 -m tritonize.cli verify tests/problems/vector_add.py tests/protocol/$c.py --device cuda --json; echo "rc=$?"; done > $OUT/proto_gpu.log 2>&1)
fi
timeout 200 python3 bench/verify_scale.py --device cuda --json $OUT/scale.json > $OUT/scale.log 2>&1; echo "rc=$?" >> $OUT/scale.log
