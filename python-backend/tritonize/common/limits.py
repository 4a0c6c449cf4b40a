"""Sizes both sides of the judge/worker boundary agree on."""

# Outputs up to this size get three NaN-filled blocks in the candidate's allocator before each
# trial (an output, a temporary, a second output), larger ones one (worker/candidate_job.py); the
# memory plan counts the same (judge/memory_plan.py).
POISON_ALL_BYTES = 1 << 30
