"""Output that survives terminals, pipes, interruptions and bugs (issue 10, part A): whatever
happens once the checks started, the report is written, and the output never breaks."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from netcheck.cli import main
from netcheck.cli.render import render_report
from netcheck.lab.faults import FAULTS
from tests.pki import Pki


def default_sigint() -> None:
    """Ctrl-C as a user's terminal delivers it: a child inherits an ignored or blocked SIGINT
    from the test process (seen once in a whole CI run: four Ctrl-C tests waited out their
    bound while netcheck ran on), and would never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


ANSI_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?3[0-9]")  # a foreground colour, bold or not


def netcheck(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
             **popen: object) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    popen.setdefault("text", True)
    popen.setdefault("preexec_fn", default_sigint)
    return subprocess.Popen([sys.executable, "-m", "netcheck", *args],
                            env={**base, **(env or {})}, cwd=cwd,
                            **popen)  # type: ignore[call-overload]


def missing_cert(pki: Pki) -> list[str]:
    """A check that fails at once, in the settings step (no network)."""
    return ["check", "https://mcp.test/mcp", "--cert", pki.path("missing.pem"), "--client",
            "curl"]


def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "netcheck never got there"
        time.sleep(0.05)


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# --- encodings -------------------------------------------------------------------------------


def test_a_cp1252_stream_gets_ascii_marks_and_the_report(tmp_path, pki):
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252", errors="strict", write_through=True)
    report = tmp_path / "r.json"
    status = main([*missing_cert(pki), "--json", str(report)], environ={}, stdout=out,
                  stderr=io.StringIO())
    text = raw.getvalue().decode("cp1252")
    assert status == 1, text
    assert "FAILED at settings › client_cert" in text
    assert re.search(r"^  x client_cert ", text, re.M), text  # the cross, in ASCII
    assert json.loads(report.read_text())["verdict"]["code"] == "cert_file_unreadable"


def test_demo_on_a_cp1252_console(tmp_path):
    done = netcheck("demo", cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"},
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="cp1252")
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, out + err
    assert "internal error" not in out + err
    assert "Demo complete" in out
    assert json.loads((tmp_path / "netcheck-demo-report.json").read_text())["ok"] is False


# --- pipes and files -------------------------------------------------------------------------


def test_not_a_terminal_one_record_per_line(tmp_path, pki):
    long_url = "https://mcp.test/" + "a-rather-long-path-segment/" * 5 + "mcp"
    out = io.StringIO()
    args = missing_cert(pki)
    args[1] = long_url
    main([*args, "--json", str(tmp_path / "r.json")], environ={}, stdout=out,
         stderr=io.StringIO())
    report = json.loads((tmp_path / "r.json").read_text())
    lines = out.getvalue().splitlines()
    assert any(long_url in line for line in lines)  # not split mid-word
    hop = next(h for h in report["steps"][0]["hops"] if h["status"] == "failed")
    assert len(hop["message"]) > 60
    assert any(line.endswith(hop["message"] + f"  [{hop['code']}]") for line in lines)
    assert f"      fix:  {hop['hint']}" in lines
    assert "\x1b[" not in out.getvalue()


def test_list_faults_first_word_is_the_name():
    done = netcheck("demo", "--list-faults", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    env={"COLUMNS": "80"})
    out, _ = done.communicate(timeout=30)
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == list(FAULTS)


def test_broken_pipe_still_writes_the_report(tmp_path, pki, hostile_server):
    """``netcheck check URL --json r.json | head -1``: the run goes on without its reader.
    The metadata drips, so the first lines come well before the rest."""
    from tests import hostile

    prm = "/.well-known/oauth-protected-resource/mcp"
    hostile_server.routes["/mcp"] = hostile.challenge(hostile_server.url(prm))
    hostile_server.routes[prm] = hostile.drip(every=1.0)
    report = tmp_path / "r.json"
    done = netcheck("check", hostile_server.url("/mcp"), "--cacert", pki.path("public-ca.pem"),
                    "--timeout", "2", "--json", str(report),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert done.stdout is not None and done.stderr is not None
    first = done.stdout.readline()
    done.stdout.close()  # what head does after its line
    status = done.wait(timeout=30)
    err = done.stderr.read()
    assert first.startswith("netcheck ")
    assert status == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "broken pipe" in err and str(report) in err
    verdict = json.loads(report.read_text())["verdict"]
    assert (verdict["step"], verdict["code"]) == ("protected_resource_metadata", "http_timeout")


def test_report_path_is_checked_before_any_network_work(tmp_path, run_cli, base_args,
                                                        silent_listener):
    url = f"https://127.0.0.1:{silent_listener.port}/mcp"
    for path, says in ((tmp_path, "folder"), (tmp_path / "no" / "r.json", "does not exist")):
        result = run_cli("check", url, *base_args, "--json", str(path))
        assert result.status == 2, result.stderr
        assert says in result.stderr and "Traceback" not in result.stderr
        assert result.seconds < 1  # not after a run that waits 3 s on the listener


def test_a_read_only_place_is_a_usage_error(tmp_path, run_cli, base_args):
    place = tmp_path / "ro"
    place.mkdir()
    place.chmod(0o555)
    try:
        tempfile.mkstemp(dir=place)
    except OSError:
        pass
    else:  # root writes anywhere it may; a read-only mount stops it
        place = Path("/sys")
        try:
            tempfile.mkstemp(dir=place)
            pytest.skip("no read-only place on this machine")
        except OSError:
            pass
    result = run_cli("check", "https://mcp.test/mcp", *base_args, "--json",
                     str(place / "r.json"))
    assert result.status == 2
    assert "cannot write" in result.stderr


def test_a_symlink_at_the_report_path_is_replaced_not_followed(tmp_path, pki):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "r.json"
    link.symlink_to(victim)
    out = io.StringIO()
    main([*missing_cert(pki), "--json", str(link)], environ={}, stdout=out,
         stderr=io.StringIO())
    assert victim.read_text() == "keep me\n"
    assert not link.is_symlink()
    assert json.loads(link.read_text())["ok"] is False
    assert "symlink" in out.getvalue()


def test_the_report_is_renamed_into_place(tmp_path, pki):
    path = tmp_path / "r.json"
    path.write_text("old\n")
    before = path.stat().st_ino
    main([*missing_cert(pki), "--json", str(path)], environ={}, stdout=io.StringIO(),
         stderr=io.StringIO())
    assert path.stat().st_ino != before  # a new file renamed over it, not rewritten in place
    assert json.loads(path.read_text())["ok"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no temporary left


def test_the_default_report_keeps_the_previous_one(tmp_path, pki, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(missing_cert(pki), environ={}, stdout=io.StringIO(), stderr=io.StringIO())
    first = json.loads((tmp_path / "netcheck-report.json").read_text())
    out = io.StringIO()
    main(missing_cert(pki), environ={}, stdout=out, stderr=io.StringIO())
    kept = json.loads((tmp_path / "netcheck-report.previous.json").read_text())
    assert kept["started_at"] == first["started_at"]
    assert "netcheck-report.previous.json" in out.getvalue()


# --- interruptions and bugs ------------------------------------------------------------------


def interrupted_at_the_silent_listener(tmp_path, silent_listener, schema, *args: str
                                      ) -> tuple[dict[str, Any], str, str]:
    """Run ``check`` with ``args``, press Ctrl-C once it waits at the silent listener; the
    exit status must be 130 and the report written, valid and marked interrupted."""
    import jsonschema

    report = tmp_path / "r.json"
    before = len(silent_listener.held)
    done = netcheck("check", *args, "--timeout", "20", "--json", str(report),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    until(lambda: len(silent_listener.held) > before)  # connected: the TLS wait is on
    time.sleep(0.5)
    done.send_signal(signal.SIGINT)
    out, err = done.communicate(timeout=30)
    assert done.returncode == 130, out + err
    got = json.loads(report.read_text())
    jsonschema.validate(got, schema)
    assert got["interrupted"] is True and got["ok"] is False
    return got, out, err


def test_ctrl_c_writes_the_steps_done_so_far(tmp_path, base_args, silent_listener, schema):
    got, out, err = interrupted_at_the_silent_listener(
        tmp_path, silent_listener, schema, f"https://127.0.0.1:{silent_listener.port}/mcp",
        *base_args)
    assert [s["step"] for s in got["steps"]] == ["settings", "resource"]
    assert got["steps"][0]["ok"] is True
    tls = next(h for h in got["steps"][1]["hops"] if h["hop"] == "tls")
    assert tls["code"] == "interrupted"
    assert "of its 20 s bound" in tls["message"]  # how long it had waited, and on what
    assert "INTERRUPTED" in out and "Traceback" not in err


def test_a_bug_after_the_checks_started_exits_3_with_a_report(tmp_path, run_cli, base_args,
                                                              monkeypatch):
    from netcheck import runner

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("sk-secret-in-the-message")

    monkeypatch.setattr(runner, "_resource", broken)
    result = run_cli("check", "https://mcp.test/mcp", *base_args)
    assert result.status == 3
    assert "internal error (RuntimeError)" in result.stderr
    assert result.report is not None
    assert result.report["internal_error"] == "RuntimeError"
    assert result.report["ok"] is False
    assert [s["step"] for s in result.report["steps"]] == ["settings", "resource"]
    assert result.verdict == ("resource", "http", "internal_error")
    assert "sk-secret" not in json.dumps(result.report) + result.stdout + result.stderr


def test_traceback_is_accepted_after_the_command(base_args, monkeypatch):
    from netcheck import runner

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "_resource", broken)
    with pytest.raises(RuntimeError):
        main(["check", "https://mcp.test/mcp", *base_args, "--no-json", "--traceback"],
             environ={}, stdout=io.StringIO(), stderr=io.StringIO())


# --- terminals -------------------------------------------------------------------------------


def test_terminal_continuation_lines_are_indented(pki, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = Tty()
    main([*missing_cert(pki), "--no-json"], environ={}, stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    fix = next(i for i, line in enumerate(lines) if "fix:" in line)
    assert lines[fix + 1].startswith(" " * 12) and lines[fix + 1].strip()


@pytest.mark.parametrize("how", [{"NO_COLOR": "1"}, "--no-color"])
def test_no_color(pki, how):
    out = Tty()
    argv, environ = [*missing_cert(pki), "--no-json"], {}
    if isinstance(how, dict):
        environ = how
    else:
        argv.append(how)
    status = main(argv, environ=environ, stdout=out, stderr=io.StringIO())
    assert status == 1
    assert not ANSI_COLOUR.search(out.getvalue()), out.getvalue()
    plain = Tty()
    main([*missing_cert(pki), "--no-json"], environ={}, stdout=plain, stderr=io.StringIO())
    assert ANSI_COLOUR.search(plain.getvalue())  # colour is there otherwise


def test_quiet_does_not_point_at_warnings_above_nothing():
    report = {"verdict": None, "warnings": [{"step": "resource", "hop": "tls",
                                             "message": "m"}], "steps": []}
    out = io.StringIO()
    render_report(Console(file=out, width=200), report, quiet=True)
    assert "above" not in out.getvalue()
    assert "1 warning" in out.getvalue() and "warning(s)" not in out.getvalue()


def test_timings_are_rounded_for_people(run_cli, base_args, silent_listener):
    from netcheck.net.deadline import seconds

    assert [seconds(v) for v in (2.97561, 2.5, 0.05, 120, 1.04)] == ["3", "2.5", "0.05", "120",
                                                                     "1"]
    args = [a for a in base_args if a not in ("--timeout", "3")]
    result = run_cli("check", f"https://127.0.0.1:{silent_listener.port}/mcp", *args,
                     "--timeout", "10", "--deadline", "1.5")
    text = json.dumps(result.report["steps"]) + result.stdout
    assert not re.search(r"\d\.\d{3,} s\b", text), text


def test_live_output_is_what_the_saved_report_renders(tmp_path, run_cli, base_args, plain_tls):
    """Steps are printed as they finish; a saved report renders to the same lines (what
    ``netcheck show REPORT.json`` relies on)."""
    from netcheck.cli.output import SafeStream, make_console

    path = tmp_path / "r.json"
    result = run_cli("check", plain_tls.url(), *base_args, "--json", str(path))
    assert result.status == 0, result.stdout
    again = io.StringIO()
    render_report(make_console(SafeStream(again), {}), json.loads(path.read_text()))
    assert result.stdout == again.getvalue() + f"Report written to {path}: attach it to " \
                                               "your ticket.\n"


def test_a_bug_inside_a_step_exits_3(run_cli, base_args, monkeypatch):
    """A step's bug is reported as its internal_error diagnosis, and the exit status says it
    was netcheck that failed, not the network."""
    from netcheck import pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("sk-secret-in-the-message")

    monkeypatch.setattr(pipeline, "probe", broken)  # the runner takes it from there
    result = run_cli("check", "https://mcp.test/mcp", *base_args)
    assert result.status == 3
    assert result.verdict == ("resource", "http", "internal_error")
    assert "bug in netcheck" in result.stderr
    assert "sk-secret" not in json.dumps(result.report) + result.stdout + result.stderr


def test_status_line_with_several_hops_in_flight():
    """Steps sent side by side wait at once: the line shows the oldest and counts the rest;
    a step that finishes takes its waits with it."""
    from netcheck.cli.live import LiveRun
    from netcheck.model import Hop, Step, StepResult
    from netcheck.runner import begin_check
    from netcheck.settings.gather import Options

    run = begin_check(Options(url="https://mcp.test/mcp"), {})
    live = LiveRun(lambda: Console(file=io.StringIO()), run, quiet=True)
    assert live.line().plain == "starting"
    live.hop_started(Step.TOKEN_ENDPOINT, Hop.TLS, 10.0)
    time.sleep(0.05)
    live.hop_started(Step.AUTHORIZATION_ENDPOINT, Hop.HTTP, 10.0)
    live.hop_started(Step.TOKEN_REFRESH, Hop.TCP, 10.0)
    line = live.line().plain
    assert line.startswith("token_endpoint › tls: waiting 0.")
    assert "of its 10 s bound" in line
    assert "(+2 more: authorization_endpoint › http, token_refresh › tcp)" in line
    live.step_finished(StepResult(step=Step.TOKEN_ENDPOINT, url=None))
    assert live.line().plain.startswith("authorization_endpoint › http: waiting")
    live.hop_ended(Step.AUTHORIZATION_ENDPOINT, Hop.HTTP)
    live.hop_ended(Step.TOKEN_REFRESH, Hop.TCP)
    assert live.line().plain == "working (after token_endpoint)"


def test_safe_stream_degrades_and_outlives_its_reader():
    from netcheck.cli.output import SafeStream

    raw = io.BytesIO()
    stream = SafeStream(io.TextIOWrapper(raw, encoding="ascii", write_through=True))
    stream.write("✓ a › b … 東京\n")
    assert raw.getvalue() == b"+ a > b ... ??\n"

    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    gone = SafeStream(Gone())
    assert gone.write("x") == 1 and gone.closed_early


@pytest.mark.parametrize("fault", [None, "token-portal"])
def test_the_whole_flow_prints_live_in_flow_order(fault):
    """The OAuth steps after the authorization server's metadata go out side by side; they
    are still printed in flow order, and as the saved report renders them."""
    from netcheck.cli.live import LiveRun
    from netcheck.cli.output import SafeStream, make_console
    from netcheck.lab.lab import running_lab
    from netcheck.oauth.flow import STEPS
    from netcheck.report import build_report
    from netcheck.runner import begin_check, run_check

    with running_lab(FAULTS[fault] if fault else None) as lab:
        out = io.StringIO()
        begun = begin_check(lab.options(), lab.env)
        live = LiveRun(lambda: make_console(SafeStream(out), {}), begun, terminal=False)
        with live:
            run = run_check(lab.options(), lab.env, observer=live.observe, progress=live,
                            begun=begun)
    report = build_report(run)
    assert len(report["steps"]) == 2 + len(STEPS)
    again = io.StringIO()
    render_report(make_console(SafeStream(again), {}), report)
    # the verdict's lines (the client's installed release, then OK or FAILED) come last
    verdict_at = again.getvalue().rindex("\nclient: ")
    assert again.getvalue()[verdict_at:].split("\n")[2].startswith(
        "OK" if fault is None else "FAILED")
    assert out.getvalue() == again.getvalue()[:verdict_at + 1]


def test_ctrl_c_while_steps_wait_side_by_side(tmp_path, pki, hostile_server):
    """The token endpoint never finishes its answer while the other OAuth steps are done:
    Ctrl-C ends the run at once (not when the waits time out) with those steps reported."""
    from tests import hostile

    server = hostile_server
    prm, meta = "/.well-known/oauth-protected-resource/mcp", \
        "/.well-known/oauth-authorization-server"
    server.routes["/mcp"] = hostile.challenge(server.url(prm))
    server.routes[prm] = hostile.json_answer({"resource": server.url("/mcp"),
                                              "authorization_servers": [server.url("/")]})
    server.routes[meta] = hostile.json_answer({
        "issuer": server.url("/"), "authorization_endpoint": server.url("/authorize"),
        "token_endpoint": server.url("/token"), "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"]})
    server.routes["/authorize"] = hostile.answer(200, b"<html>sign in</html>",
                                                 [("Content-Type", "text/html")])
    server.routes["/token"] = hostile.drip(every=1.0)
    report = tmp_path / "r.json"
    done = netcheck("check", server.url("/mcp"), "--cacert", pki.path("public-ca.pem"),
                    "--timeout", "30", "--json", str(report), "--client-id", "pre-registered",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    until(lambda: sum(seen.path == "/token" for seen in server.seen) == 2)  # token, refresh
    time.sleep(0.5)
    done.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = done.communicate(timeout=40)
    assert time.monotonic() - started < 3, "waited for the steps in flight to time out"
    assert done.returncode == 130, out + err
    got = json.loads(report.read_text())
    steps = {s["step"]: s for s in got["steps"]}
    assert steps["authorization_server_metadata"]["ok"] is True
    token = next(h for h in steps["token_endpoint"]["hops"] if h["code"] == "interrupted")
    assert token["hop"] == "http"
    assert got["verdict"]["code"] == "interrupted"


def test_proxy_table_when_not_a_terminal():
    """One model a line, never wrapped: its first word is the model."""
    from netcheck.proxy.registry import MODELS

    done = netcheck("proxy", "https://a.example/", env={"https_proxy": "proxy:3128",
                                                        "COLUMNS": "80"},
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, _ = done.communicate(timeout=30)
    assert done.returncode == 0
    lines = out.splitlines()
    assert lines[0] == "Proxy decision for https://a.example/"
    assert [line.split()[0] for line in lines[1:]] == list(MODELS)
    assert any("claude-code (claude-code)" in line and "refuses" in line for line in lines)


def test_anonymized_output_is_held_for_the_finished_report(tmp_path, pki):
    """Placeholders come from the whole report: nothing is printed live with --anonymize."""
    out = io.StringIO()
    main([*missing_cert(pki), "--anonymize", "--json", str(tmp_path / "r.json")], environ={},
         stdout=out, stderr=io.StringIO())
    assert "mcp.test" not in out.getvalue()
    assert "internal-1.example" in out.getvalue()


def test_show_on_a_cp1252_console(tmp_path, pki):
    """``netcheck show`` renders a received report as the check did: on a cp1252 console too."""
    path = tmp_path / "r.json"
    main([*missing_cert(pki), "--json", str(path)], environ={}, stdout=io.StringIO(),
         stderr=io.StringIO())
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="cp1252", errors="strict", write_through=True)
    status = main(["show", str(path)], environ={}, stdout=out, stderr=io.StringIO())
    assert status == 1
    assert "FAILED at settings › client_cert" in raw.getvalue().decode("cp1252")


def test_ctrl_c_over_several_servers_writes_those_finished(tmp_path, base_args,
                                                          silent_listener, schema):
    """Several URLs, one refused at once and one that never answers: Ctrl-C keeps the
    finished server's result and names the other as cut short, in a report that is written."""
    import socket

    closed = socket.create_server(("127.0.0.1", 0))
    refused = closed.getsockname()[1]
    closed.close()
    got, _out, err = interrupted_at_the_silent_listener(
        tmp_path, silent_listener, schema, f"https://127.0.0.1:{refused}/mcp",
        f"https://127.0.0.1:{silent_listener.port}/mcp", *base_args)
    first, second = got["servers"]
    assert first["report"]["verdict"]["code"] == "tcp_refused"
    assert second["report"] is None and "interrupted" in second["problem"]
    assert "Traceback" not in err
