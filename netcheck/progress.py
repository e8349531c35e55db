"""What a run tells whoever watches it while it goes (the CLI's status line and its step lines).

The walk says when a hop starts waiting (with the bound on that wait) and when it stops, from
whichever thread it runs in (connections opened ahead open in the background); the runner says
when a step is finished, in flow order. The library never prints: the default listener does
nothing.
"""

from __future__ import annotations

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
