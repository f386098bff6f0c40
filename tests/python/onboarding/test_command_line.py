"""One command-line tool: `experiment-analytics --help` lists everything, `publish` is the
publisher's own command line, and the stand-in registers the warehouse as the reader role."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

from experiment_analytics.warehouse import credentials, embedded, roles

from .conftest import CLI, PROJECT_DIR, clean_env, run


def test_help_lists_every_command():
    result = run([CLI, "--help"], clean_env())
    assert result.returncode == 0
    for command in (
        "db",
        "sources",
        "roles",
        "demo",
        "bench",
        "publish",
        "metabase-double",
        "preview",
    ):
        assert f"\n    {command}" in result.stdout, command
    for action in ("up", "down", "status", "env"):
        assert action in result.stdout
    db_help = run([CLI, "db", "--help"], clean_env()).stdout
    assert "{up,down,status,env}" in db_help


def test_publish_is_the_publisher_and_the_script_calls_the_same_code():
    via_cli = run([CLI, "publish", "--help"], clean_env())
    via_script = run([sys.executable, "scripts/publish_metabase.py", "--help"], clean_env())
    assert via_cli.returncode == via_script.returncode == 0
    assert via_cli.stdout == via_script.stdout
    assert "--add-database" in via_cli.stdout and "--plan" in via_cli.stdout
    double_help = run([CLI, "metabase-double", "--help"], clean_env())
    assert double_help.returncode == 0 and "--no-warehouse" in double_help.stdout


def test_the_stand_in_registers_the_warehouse_as_the_reader(pg_server, pg_data_dir):
    port = embedded.free_port()
    env = clean_env(
        PGHOST=pg_server.host,
        PGPORT=str(pg_server.port),
        PGDATABASE=pg_server.dbname,
        PGPASSFILE=str(credentials.passfile_for(pg_data_dir)),
    )
    proc = subprocess.Popen(
        [CLI, "metabase-double", "--port", str(port)],
        env=env,
        cwd=PROJECT_DIR,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C to stop"):
                break
        output = "".join(lines)
        assert f"database 'Experiments' (id 1): postgresql://{roles.READER}@" in output, output
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/database/1",
            headers={"X-API-KEY": "mb_double_test_key"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            database = json.load(answer)
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    details = database["details"]
    assert details["user"] == roles.READER
    assert (details["host"], details["port"]) == (pg_server.host, pg_server.port)
    for password in credentials.read_passwords(credentials.passfile_for(pg_data_dir)).values():
        assert password not in output + rest
        assert password not in json.dumps(database)


def test_a_reader_that_goes_away_is_not_an_error():
    """`experiment-analytics roles sql | head -1`: the reader closes the pipe before the tool
    has written everything. The tool stops quietly, with the shell's SIGPIPE status."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with EPIPE
    try:
        result = subprocess.run(
            [CLI, "roles", "sql"],
            env=clean_env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 141


def test_make_evaluate_says_what_to_give_without_an_evaluator(tmp_path):
    """The evaluator is the user's own copy (README "Model hygiene"): without one, or with a
    path that is not a runner, `make evaluate` stops before touching anything and says why."""
    missing = subprocess.run(
        ["make", "--no-print-directory", "evaluate"],
        cwd=PROJECT_DIR,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "make evaluate DBT_PROJECT_EVALUATOR=path/to/dbt-project-evaluator" in missing.stderr
    not_a_runner = tmp_path / "dbt-project-evaluator.txt"
    not_a_runner.write_text("not a program\n")
    wrong = subprocess.run(
        ["make", "--no-print-directory", "evaluate", f"DBT_PROJECT_EVALUATOR={not_a_runner}"],
        cwd=PROJECT_DIR,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 2
    assert f"DBT_PROJECT_EVALUATOR={not_a_runner} is not an executable file" in wrong.stderr
