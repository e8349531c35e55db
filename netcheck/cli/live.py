"""What a terminal shows while a check runs: each step's lines as soon as the step finishes (in
flow order), and below them a status line naming the hop being waited on, with the time spent
and the time left of its bound. Several hops can wait at once (connections opened ahead, steps
sent side by side): the line shows the oldest and counts the others.

Off a terminal there is no status line, and the first lines wait for the first network step:
rendering (rich) is then imported while the first request waits (:mod:`netcheck.warmup`), not
before it goes out.

It also remembers what the run has done, so that a run cut short (Ctrl-C, a bug) still leaves
a report of the steps finished and of the one in flight.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netcheck import __version__, warmup
from netcheck.model import (
    OAUTH_ORDER,
    ORDER,
    Code,
    Hop,
    HopResult,
    Step,
    StepResult,
    failed,
    skipped,
)
from netcheck.model import internal_error as bug_in_step
from netcheck.net.deadline import seconds
from netcheck.redaction import redact_url
from netcheck.runner import CheckRun

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


EVIDENCE_WAIT = 10.0  # s, at most, for a step's evidence before it is shown without it


@dataclass
class Wait:
    step: Step
    hop: Hop
    since: float  # time.monotonic()
    bound_s: float

    def elapsed(self) -> float:
        return time.monotonic() - self.since


class LiveRun:
    """The run's progress listener (:class:`netcheck.progress.Progress`) and hop observer."""

    def __init__(self, console: Callable[[], Console], run: CheckRun, *, verbose: bool = False,
                 quiet: bool = False, terminal: bool = True, label: str | None = None,
                 hold: bool = False) -> None:
        self.make_console, self.run, self.verbose, self.quiet = console, run, verbose, quiet
        self.terminal, self.label = terminal, label
        self.hold = hold  # print nothing before the finished report (--anonymize)
        self.lock = threading.Lock()
        self.printing = threading.Lock()
        self._console: Console | None = None
        self.unprinted: list[StepResult] = []  # finished, not yet shown
        self.headed = False
        self.waits: list[Wait] = []
        self.finished: list[StepResult] = []
        self.seen: dict[Step, list[HopResult]] = {}  # hops of the steps in flight
        self.status: Any = None
        self.evidence_wait = EVIDENCE_WAIT  # none once the run is cut short: show what is in

    # --- the run's notifications (from any thread) -----------------------------------------

    def hop_started(self, step: Step, hop: Hop, bound_s: float) -> None:
        with self.lock:
            self.waits.append(Wait(step, hop, time.monotonic(), bound_s))

    def hop_ended(self, step: Step, hop: Hop) -> None:
        with self.lock:
            for wait in self.waits:
                if wait.step is step and wait.hop is hop:
                    self.waits.remove(wait)
                    break

    def observe(self, step: Step, hop: HopResult) -> None:
        with self.lock:
            if hop.hop is Hop.PROXY_RESOLVE:  # a new request of the step (another URL tried)
                self.seen[step] = []
            self.seen.setdefault(step, []).append(hop)

    def step_finished(self, result: StepResult) -> None:
        with self.lock:
            self.finished.append(result)
            self.seen.pop(result.step, None)
            self.waits = [w for w in self.waits if w.step is not result.step]
        if self.quiet or self.hold:
            return
        with self.printing:
            self.unprinted.append(result)
        if self.terminal or result.step is not Step.SETTINGS:
            # printed by another thread: a step is shown with its evidence (StepResult.settle),
            # which the flow does not wait for
            threading.Thread(target=self._show_locked, daemon=True,
                             name="netcheck-print").start()

    def _show_locked(self) -> None:
        with self.printing:  # steps may finish in several threads; lines never interleave
            self.show()

    # --- the terminal ----------------------------------------------------------------------

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = self.make_console()
        return self._console

    def show(self) -> None:
        """Print the header (once) and the steps finished since the last call."""
        warmup.load("netcheck.cli.render", "netcheck.report.build")
        from netcheck.cli.render import render_header, render_step
        from netcheck.report.build import build_step

        if not self.headed:
            self.headed = True
            render_header(self.console, {
                "netcheck_version": __version__, "target": redact_url(self.run.options.url),
                "client_profile": {"name": self.run.settings.profile.name},
                "label": self.label})
        for result in self.unprinted:
            result.settle(self.evidence_wait)
            render_step(self.console, build_step(self.run, result), verbose=self.verbose)
        self.unprinted.clear()

    def verdict(self, report: dict[str, Any]) -> None:
        """The last lines (after any step not shown yet; held, the whole finished report)."""
        warmup.load("netcheck.cli.render")
        from netcheck.cli.render import render_report, render_verdict

        if self.hold:
            render_report(self.console, report, verbose=self.verbose, quiet=self.quiet)
            return
        if not self.quiet:
            with self.printing:
                self.show()
        render_verdict(self.console, report, quiet=self.quiet)

    def __enter__(self) -> LiveRun:
        if self.terminal and not self.quiet:
            if not self.hold:
                with self.printing:
                    self.show()
            spinner = "dots" if _encodes(self.console, "⠋") else "line"
            self.status = self.console.status(StatusLine(self), spinner=spinner)
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def line(self) -> Text:
        """The status line's text now."""
        warmup.load("rich.text")
        from rich.text import Text

        with self.lock:
            waits = list(self.waits)
            last = self.finished[-1].step.value if self.finished else None
        if not waits:
            return Text(f"working (after {last})" if last else "starting", style="dim")
        oldest = waits[0]
        elapsed = oldest.elapsed()
        text = Text(f"{oldest.step.value} › {oldest.hop.value}: waiting {elapsed:.1f} s of its "
                    f"{seconds(oldest.bound_s)} s bound "
                    f"({max(oldest.bound_s - elapsed, 0):.1f} s left)")
        others = [f"{w.step.value} › {w.hop.value}" for w in waits[1:]]
        if others:
            text.append(f"  (+{len(others)} more: {', '.join(others[:3])}"
                        f"{', …' if len(others) > 3 else ''})", style="dim")
        return text

    # --- a run cut short -------------------------------------------------------------------

    def cut_short(self, *, interrupted: bool = False,
                  internal_error: Exception | None = None) -> CheckRun:
        """The run as far as it got: the finished steps, then each step in flight (or the next
        one, if none was): interrupted, with the hops it had done and the one it was waiting
        on; after a bug, as an ``internal_error`` diagnosis (the bug's type, not its text)."""
        self.evidence_wait = 0.0
        with self.lock:
            steps = list(self.finished)
            flight = sorted({*self.seen, *(w.step for w in self.waits)},
                            key=list(Step).index)
            if not flight:
                after = list(Step).index(steps[-1].step) + 1 if steps else 0
                flight = list(Step)[after:after + 1]
            if not flight:  # every step had finished: the report is whole
                interrupted = False
            elif internal_error is not None:
                steps.append(bug_in_step(flight[0], internal_error))
            elif interrupted:
                steps += [self._in_flight(step) for step in flight]
        return dataclasses.replace(
            self.run, steps=steps, interrupted=interrupted,
            internal_error=type(internal_error).__name__ if internal_error else None,
            finished_at=dt.datetime.now(dt.UTC))

    def _in_flight(self, step: Step) -> StepResult:
        done = list(self.seen.get(step, []))
        wait = next((w for w in self.waits if w.step is step), None)
        order = ORDER if step in (Step.SETTINGS, Step.RESOURCE) else OAUTH_ORDER
        recorded = {h.hop for h in done}
        if wait is not None:
            hop, waited = wait.hop, (f" after {wait.elapsed():.1f} s of its "
                                     f"{seconds(wait.bound_s)} s bound")
        else:
            hop, waited = next((h for h in order if h not in recorded), order[-1]), ""
        done.append(failed(hop, Code.INTERRUPTED,
                           f"stopped by the user (Ctrl-C) while waiting on {hop.value}{waited}",
                           "nothing had failed up to here; if this hop keeps you waiting every "
                           "time, let netcheck time it out (--timeout) to get its diagnosis"))
        recorded.add(hop)
        done += [skipped(h, "the run was interrupted") for h in order if h not in recorded]
        return StepResult(step=step, url=None, hops=done,
                          notes=["interrupted: this step did not finish"])


class StatusLine:
    """The status line as a renderable: recomputed at every refresh, so the clock runs."""

    def __init__(self, live: LiveRun) -> None:
        self.live = live

    def __rich__(self) -> Text:
        return self.live.line()


def _encodes(console: Console, text: str) -> bool:
    try:
        text.encode(console.encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
