"""Ports sort themselves out: the embedded server records its port, every later command finds
it, a contradicting PGPORT is a clear error, and a taken port never means a hang or a dump."""

from __future__ import annotations

from experiment_analytics.warehouse import credentials, location
from experiment_analytics.warehouse.connection import DEFAULT_PORT

from .conftest import CLI, clean_env, holding_port, run

OTHER_PORT = 55524  # "another process on the port" scenarios (never 55432 for long)


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_taken_default_port_picks_a_free_one_and_later_commands_find_it(own_pgdata):
    env = clean_env(EXPERIMENT_ANALYTICS_PGDATA=str(own_pgdata))
    with holding_port(DEFAULT_PORT):
        up = run([CLI, "db", "up"], env, timeout=120)
    assert up.returncode == 0, up.stderr
    running = location.running_server(own_pgdata)
    assert running is not None and running.port != DEFAULT_PORT
    assert (
        f"port {DEFAULT_PORT} is taken by another process: the embedded server uses port "
        f"{running.port} instead" in up.stderr
    )
    assert f"127.0.0.1:{running.port}/experiments" in up.stdout

    # A new shell, no PGPORT: status and every command use the recorded port.
    status = run([CLI, "db", "status"], env)
    assert f"running on 127.0.0.1:{running.port} (pid {running.pid}" in status.stdout
    assert f"connect to: postgresql://postgres@127.0.0.1:{running.port}/experiments" in (
        status.stdout
    )
    sources = run([CLI, "sources", "create"], env)
    assert sources.returncode == 0, sources.stderr
    assert f"127.0.0.1:{running.port}/experiments" in sources.stdout

    # `db up` again: already running, same port.
    again = run([CLI, "db", "up"], env)
    assert again.returncode == 0 and f"127.0.0.1:{running.port}/" in again.stdout

    # A PGPORT that contradicts the running server: a clear error, no connection elsewhere.
    for command in (["sources", "create"], ["db", "up"], ["db", "env"]):
        wrong = run([CLI, *command], {**env, "PGPORT": str(OTHER_PORT)})
        assert wrong.returncode == 1, command
        line = _one_error_line(wrong.stderr)
        assert f"PGPORT={OTHER_PORT}" in line and str(running.port) in line, line

    # `db env`: exports for a new shell, with the port and the password file, no password.
    exports = run([CLI, "db", "env"], env)
    assert f"PGPORT={running.port}" in exports.stdout
    passfile = credentials.passfile_for(own_pgdata)
    assert f"PGPASSFILE={passfile}" in exports.stdout
    outputs = up.stdout + up.stderr + status.stdout + sources.stdout + exports.stdout
    for password in credentials.read_passwords(passfile).values():
        assert password not in outputs

    down = run([CLI, "db", "down"], env)
    assert down.stdout.strip() == "stopped"
    stopped = run([CLI, "db", "status"], env)
    assert "embedded PostgreSQL: not running" in stopped.stdout


def test_a_taken_pgport_stops_at_once_with_one_line_naming_the_fix(own_pgdata):
    env = clean_env(EXPERIMENT_ANALYTICS_PGDATA=str(own_pgdata), PGPORT=str(OTHER_PORT))
    with holding_port(OTHER_PORT):
        # The timeout is a hang guard, not a measurement: the refusal comes before initdb.
        result = run([CLI, "db", "up"], env, timeout=30)
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert line.startswith(f"error: port {OTHER_PORT} on 127.0.0.1 is already in use")
    assert "unset PGPORT" in line and "set it to a free one" in line
    assert not own_pgdata.exists(), "nothing is initialised when the port is taken"


def test_make_up_with_a_taken_pgport_fails_fast_with_that_line(own_pgdata):
    env = clean_env(EXPERIMENT_ANALYTICS_PGDATA=str(own_pgdata), PGPORT=str(OTHER_PORT))
    with holding_port(OTHER_PORT):
        result = run(["make", "--no-print-directory", "up"], env, timeout=60)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "already in use" in errors[0] and "unset PGPORT" in errors[0]
    assert "Traceback" not in result.stderr and "FATAL" not in result.stderr


def test_make_up_with_55432_taken_picks_a_free_port_and_says_so(own_pgdata):
    env = clean_env(EXPERIMENT_ANALYTICS_PGDATA=str(own_pgdata))
    with holding_port(DEFAULT_PORT):
        result = run(["make", "--no-print-directory", "up"], env, timeout=120)
    assert result.returncode == 0, result.stderr
    running = location.running_server(own_pgdata)
    assert running is not None and running.port != DEFAULT_PORT
    assert f"uses port {running.port} instead" in result.stderr
    assert f"running at postgresql://postgres@127.0.0.1:{running.port}/" in result.stdout
