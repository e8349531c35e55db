"""What a run tells whoever watches it while it goes (the CLI's status line and its step lines).

The walk says when a hop starts waiting (with the bound on that wait) and when it stops, from
whichever thread it runs in (connections opened ahead open in the background); the runner says
when a step is finished, in flow order. The library never prints: the default listener does
nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from netcheck.model import Hop, Step, StepResult


class Progress(Protocol):
    def hop_started(self, step: Step, hop: Hop, bound_s: float) -> None:
        """``hop`` of ``step`` starts waiting, for at most ``bound_s`` seconds."""

    def hop_ended(self, step: Step, hop: Hop) -> None:
        """That wait is over (passed, failed or cut short)."""

    def step_finished(self, result: StepResult) -> None:
        """``result`` is final; steps are told in flow order."""


class Silent:
    """Hears everything, does nothing."""

    def hop_started(self, step: Step, hop: Hop, bound_s: float) -> None:
        pass

    def hop_ended(self, step: Step, hop: Hop) -> None:
        pass

    def step_finished(self, result: StepResult) -> None:
        pass


SILENT = Silent()


class InFlowOrder:
    """Tells ``progress`` of each step once, in flow order, as soon as it and every step before
    it are known, whatever order they finish in (steps sent side by side); after a failure, the
    rest come from :meth:`close`, with the whole flow as the report keeps it."""

    def __init__(self, progress: Progress, order: Sequence[Step]) -> None:
        self.progress, self.pending = progress, list(order)
        self.known: dict[Step, StepResult] = {}
        self.stopped = False
        self.lock = threading.Lock()

    def add(self, result: StepResult) -> None:
        with self.lock:
            self.known[result.step] = result
            while not self.stopped and self.pending and self.pending[0] in self.known:
                done = self.known[self.pending.pop(0)]
                self.progress.step_finished(done)
                self.stopped = not done.ok

    def close(self, ordered: list[StepResult]) -> list[StepResult]:
        """``ordered``, every step of the flow once, after telling those not yet told."""
        with self.lock:
            for result in ordered[len(ordered) - len(self.pending):]:
                self.progress.step_finished(result)
            self.pending.clear()
        return ordered
