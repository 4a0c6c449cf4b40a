"""Trial kinds both sides of the judge/reference boundary name: the ones for which ModelNew is rebuilt
(other sizes or constructor arguments) or reloaded (other weights), with the reference's model and
state sent along."""

REBUILT = frozenset({"variation", "extent", "params", "init", "one"})
