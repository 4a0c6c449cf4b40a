"""Sizes both sides of the judge/worker boundary agree on."""

# Outputs up to this size get three NaN-filled blocks in the candidate's allocator before each
# trial (an output, a temporary, a second output), larger ones one (worker/candidate_job.py); the
# memory plan counts the same (judge/memory_plan.py).
POISON_ALL_BYTES = 1 << 30

# Inputs above this size are "large": each process gives cached device memory back between its big
# steps (the reference's runs, the candidate's profiled call), where at small sizes that would only
# slow allocations down (worker/reference_job.py, worker/candidate_job.py).
LARGE_INPUT_BYTES = 1 << 30

# Elements per slice where a whole-tensor temporary of a 6 GB input would not fit beside the rest
# (broadened's random factors, worker/conditioning.py; the judge's degenerate-output check,
# judge/compare.py).
SLICE_ELEMENTS = 1 << 26
# random-2's inputs are views at a storage offset (worker/reference_job.py _at_offset) up to this size:
# making them holds a second copy of the inputs for a moment.
OFFSET_TRIAL_MAX_BYTES = 512 << 20
