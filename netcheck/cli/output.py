"""The streams the CLI writes to, made so that writing never breaks the run.

A :class:`SafeStream` wraps stdout or stderr: a character its encoding cannot carry (a cp1252
console, ``PYTHONIOENCODING=ascii``) becomes an ASCII stand-in (a tick -> ``+``, a cross ->
``x``, the step arrow -> ``>``) or ``?``, and a reader that went away (``| head -1``, a pager
quit early) is remembered instead of raised, so the checks go on and the report is still
written.

:func:`make_console` builds the rich console over it: on a terminal, colour (unless NO_COLOR or
``--no-color``) and lines wrapped with aligned continuations; elsewhere, plain lines never
wrapped, one record per line, so ``grep`` and ``awk`` work.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import IO, Any

# what a character becomes where the stream's encoding has no room for it
ASCII = {"✓": "+", "✗": "x", "›": ">", "…": "...", "—": "-", "–": "-", "─": "-", "━": "=",
         "│": "|", "·": "-", "→": "->", "←": "<-", "’": "'", "‘": "'", "“": '"', "”": '"',
         "⠋": "-", "⠙": "\\", "⠹": "|", "⠸": "/", "⠼": "-", "⠴": "\\", "⠦": "|", "⠧": "/",
         "⠇": "-", "⠏": "\\"}


def encoding_of(stream: IO[str]) -> str:
    """The codec name of ``stream`` (utf-8 when it does not say)."""
    name = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def degrade(text: str, encoding: str) -> str:
    """``text`` with every character ``encoding`` cannot carry replaced by an ASCII stand-in."""
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            ch = ASCII.get(ch, "?")
        out.append(ch)
    return "".join(out)


class SafeStream:
    """A text stream that degrades what it cannot encode and outlives a closed reader."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.encoding = encoding_of(stream)
        self.closed_early = False  # the reader went away (broken pipe)

    def write(self, text: str) -> int:
        if self.closed_early:
            return len(text)
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:
                self.stream.write(degrade(text, self.encoding))
        except (OSError, ValueError):  # a broken pipe (EINVAL on Windows), a closed stream
            self.closed_early = True
        return len(text)

    def flush(self) -> None:
        if self.closed_early:
            return
        try:
            self.stream.flush()
        except (OSError, ValueError):
            self.closed_early = True

    def isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def fileno(self) -> int:
        return self.stream.fileno()

    def can_encode(self, text: str) -> bool:
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            return False
        return True


def make_console(stream: SafeStream, environ: Mapping[str, str], *, no_color: bool = False,
                 ) -> Any:
    """The rich console the CLI prints with (see the module's docstring)."""
    from netcheck import warmup

    warmup.load("rich.console")
    from rich.console import Console

    terminal = stream.isatty()
    return Console(file=stream,  # type: ignore[arg-type]  # a text stream in all but name
                   highlight=False, soft_wrap=not terminal,
                   no_color=no_color or bool(environ.get("NO_COLOR")))
