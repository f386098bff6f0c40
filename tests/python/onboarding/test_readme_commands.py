"""Every command block of README.md runs verbatim, each in a new shell, after `make demo`.

The blocks are parsed from README.md itself, so a command added there is tested here. Blocks
and lines that need something this machine cannot have are listed below with the reason; every
other line must succeed. Commands that serve until Ctrl-C (the stand-in, dbt docs) run in the
background until they answer over HTTP, and are stopped when their block ends.

The environment is a new shell's (no PG*/METABASE_*/DBT_* of the machine, no PGPORT) plus: an
embedded server of the test's own (EXPERIMENT_ANALYTICS_PGDATA), dbt's target and log folders in
a temp directory and a small data set (EVENTS). While `make demo` runs, another process listens
on 55432 (the issue's first-hour scenario): the demo server takes a free port and every later
block finds it without being told.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from experiment_analytics.warehouse import credentials
from experiment_analytics.warehouse.connection import DEFAULT_PORT

from .conftest import PROJECT_DIR, clean_env, holding_port, run

README = PROJECT_DIR / "README.md"

# A block is skipped when it contains one of these (the reason says why it cannot run here).
SKIPPED_BLOCKS = {
    "PGHOST=db.internal": "needs your own warehouse (db.internal); the same commands run "
    "against the embedded server in the blocks above",
    "METABASE_URL=https://metabase.example.com": "needs a real Metabase at that URL; "
    "`make publish` against the stand-in runs above",
}
# Single lines that are not run, and why.
SKIPPED_LINES = {
    "make test": "this is the test suite itself (it would run this test again)",
    "make evaluate DBT_PROJECT_EVALUATOR=path/to/dbt-project-evaluator": "it runs the user's own "
    "offline copy of dbt-project-evaluator, which the repository neither ships nor reads; "
    "test_command_line checks what it says without one",
    "make preview": "it regenerates the README's pictures in docs/images/dashboards (files in "
    "git) from this small data set; the `experiment-analytics preview` line after it renders "
    "the same pages into target/preview",
}
# Run after every block instead of in place: later sections start "after make demo" and need the
# server that `make down` stops.
DEFERRED_LINES = ("make down",)
# Commands that serve until stopped: the URL that answers once they are up.
SERVERS = {
    "make metabase-double": "http://127.0.0.1:3000/api/health",
    "make docs-serve": "http://127.0.0.1:8080/",
    "dbt docs serve": "http://127.0.0.1:8080/",
}

WAIT_FOR = """
wait_for() {  # url log: poll until the URL answers, fail with the log when the server died
    for _ in $(seq 1 180); do
        "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \\
            "$1" 2>/dev/null && return 0
        kill -0 "$SERVER" 2>/dev/null || { cat "$2"; return 1; }
        sleep 1
    done
    cat "$2"; return 1
}
stop_servers() { for pid in $SERVERS; do kill -- "-$pid" 2>/dev/null || true; done; }
trap stop_servers EXIT
SERVERS=""
"""


def command_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)


def command_of(line: str) -> str:
    """The line without its trailing comment (two or more spaces, then #)."""
    return re.split(r"\s{2,}#", line, maxsplit=1)[0].strip()


def script_for(block: str, logs: Path) -> str:
    lines = ["set -euo pipefail", WAIT_FOR]
    for number, raw in enumerate(block.splitlines()):
        command = command_of(raw)
        if (
            not command
            or command.startswith("#")
            or command in SKIPPED_LINES
            or command in DEFERRED_LINES
        ):
            continue
        if command in SERVERS:
            log = logs / f"server-{number}.log"
            lines += [
                f"echo '+ {command} (in the background)'",
                f"setsid bash -c {shlex.quote(command)} > {log} 2>&1 &",
                'SERVER=$!; SERVERS="$SERVERS $SERVER"',
                f"wait_for {SERVERS[command]} {log}",
                f"cat {log}",
            ]
        else:
            lines += [f"echo {shlex.quote('+ ' + command)}", command]
    return "\n".join(lines) + "\n"


def test_the_readme_has_the_blocks_this_test_expects():
    blocks = command_blocks()
    assert len(blocks) >= 5
    text = "\n".join(blocks)
    for needed in ("make demo", "make metabase-double", "make publish", "dbt build", "make down"):
        assert needed in text
    for marker in SKIPPED_BLOCKS:
        assert sum(marker in block for block in blocks) == 1, marker


@pytest.mark.slow
def test_readme_command_blocks_run_verbatim_after_make_demo(tmp_path, own_pgdata):
    import sys

    env = clean_env(
        EXPERIMENT_ANALYTICS_PGDATA=str(own_pgdata),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
        EVENTS="20000",
        PYTHON=sys.executable,
    )
    outputs = []
    ran = 0
    for index, block in enumerate(command_blocks()):
        if any(marker in block for marker in SKIPPED_BLOCKS):
            continue
        script = script_for(block, tmp_path)
        if "make demo" in block:
            with holding_port(DEFAULT_PORT):
                result = run(["bash", "-c", script], env, timeout=1200)
        else:
            result = run(["bash", "-c", script], env, timeout=1200)
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == 0, (
            f"README block {index} failed:\n{block}\n--- output (tail) ---\n"
            + "\n".join(outputs[-1].splitlines()[-60:])
        )
        ran += 1
    assert ran >= 3
    deferred = [
        command_of(line)
        for block in command_blocks()
        for line in block.splitlines()
        if command_of(line) in DEFERRED_LINES
    ]
    assert deferred, "the README says how to stop the server"
    result = run(["bash", "-c", "set -euo pipefail\n" + "\n".join(deferred)], env)
    outputs.append(result.stdout + result.stderr)
    assert result.returncode == 0, outputs[-1]
    assert "stopped" in result.stdout
    everything = "\n".join(outputs)
    # What the blocks promise, seen in their output.
    assert "Warehouse built." in everything
    port = re.search(
        rf"port {DEFAULT_PORT} is taken by another process: the embedded server "
        r"uses port (\d+) instead",
        everything,
    )
    assert port, "make demo said which port it took"
    assert f"running on 127.0.0.1:{port.group(1)}" in everything  # `make status`, new shell
    assert "database 'Experiments'" in everything and "analytics_reader@" in everything
    assert "dashboard variant_performance: http://127.0.0.1:3000/dashboard/" in everything
    assert "configuration valid: 5 dashboards" in everything
    assert "alerts and schedules: " in everything  # the preview line
    for password in credentials.read_passwords(credentials.passfile_for(own_pgdata)).values():
        assert password not in everything


def test_what_make_demo_prints_next_is_run_by_this_test():
    """The closing hint of `make demo` names only commands the README blocks above run."""
    makefile = (PROJECT_DIR / "Makefile").read_text()
    hint = makefile[makefile.index("Warehouse built.") :].split("\n\n", 1)[0]
    named = re.findall(r"'(make [a-z-]+)'", hint)
    assert len(named) >= 3
    commands = {
        command_of(line)
        for block in command_blocks()
        if not any(marker in block for marker in SKIPPED_BLOCKS)
        for line in block.splitlines()
    }
    for command in named:
        assert command in commands, command
    assert 'eval "$(.venv/bin/experiment-analytics db env)"' in commands
    assert "experiment-analytics db env" in hint
