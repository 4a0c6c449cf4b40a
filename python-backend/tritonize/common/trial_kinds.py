"""Trial kinds both sides of the judge/reference boundary name. REBUILT: the ones for which ModelNew is rebuilt
(other sizes or constructor arguments) or reloaded (other weights), with the reference's model and
state sent along."""

REBUILT = frozenset({"variation", "extent", "params", "init", "one", "larger", "part", "wider", "eval"})
# Other-size kinds that run on the instance the other trials use when the constructor's arguments
# stay the same (state kept from an earlier call at other sizes shows there).
SAME_INSTANCE = frozenset({"one", "larger", "part", "wider"})

# Value-range trials (worker/value_trials.py): kind -> the trial's name in reports. Hard trials, but
# skipped above 512 MB of inputs like the soft ones.
VALUE_TRIALS = {"shifted": "shifted", "small": "small-values", "tied": "tied-values"}

# How the candidate worker's tamper message names a process-wide switch left changed (worker/hooks.py
# process_state): the judge reports those as `global_state`, not as a replaced function.
STATE_PREFIX = "process-wide state: "
