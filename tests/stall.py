"""A test that waited far longer than its work takes: the one failure that earns a rerun.

pyproject's `only_rerun` names this class, so a stall (a reel that never ends, an await
that never returns) is reported with where it waited and run once more, while every other
failure fails at once.
"""


class Stalled(AssertionError):
    pass
