"""The command line's conventions and the HTTP client's small promises (no Metabase needed)."""

from __future__ import annotations

import socket

import pytest

from experiment_analytics.metabase import MetabaseApiError, cli
from experiment_analytics.metabase.client import CONNECT_RETRIES, MetabaseClient


@pytest.mark.parametrize(
    ("flag", "variable"),
    [("--metabase-password", "METABASE_PASSWORD"), ("--metabase-api-key", "METABASE_API_KEY")],
)
def test_a_secret_flag_says_secrets_come_from_the_environment(flag, variable, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main([flag, "s3cret"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"{flag} is not accepted: secrets come only from the environment" in err
    assert f"(set {variable})" in err and "ps" in err
    assert "s3cret" not in err


def test_dbt_metabase_option_names(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MANIFEST_PATH", str(tmp_path / "manifest.json"))
    monkeypatch.setenv("HTTP_TIMEOUT", "7")
    monkeypatch.setenv("CERT", str(tmp_path / "ca.pem"))
    args = cli.build_parser().parse_args(["--http-header", "X-Proxy", "on", "--skip-verify"])
    assert args.manifest_path == tmp_path / "manifest.json"
    assert args.http_timeout == 7.0
    assert args.cert == str(tmp_path / "ca.pem") and args.skip_verify is True
    assert dict(args.http_header) == {"X-Proxy": "on"}


def test_extra_headers_and_tls_settings_reach_every_request() -> None:
    client = MetabaseClient(
        "http://127.0.0.1:9", api_key="k-123", headers={"X-Proxy": "on"}, verify=False
    )
    for session in (client.session, client._once):
        assert session.headers["X-Proxy"] == "on" and session.verify is False
        assert session.headers["X-API-KEY"] == "k-123"


def test_redaction_replaces_whole_tokens_not_substrings() -> None:
    client = MetabaseClient("http://127.0.0.1:9", api_key="ab")
    assert client.redact("about the table ab, key=ab; /api/ab/x") == (
        "about the table ***, key=***; /api/***/x"
    )
    long_key = MetabaseClient("http://127.0.0.1:9", api_key="mb_Z9secretXq")
    assert long_key.redact("X-API-KEY: mb_Z9secretXq") == "X-API-KEY: ***"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_retried_only_briefly_and_says_what_to_check() -> None:
    """A refused connection is retried CONNECT_RETRIES times with a short backoff (measured:
    metabase/README.md), never the read/status policy's long one."""
    assert CONNECT_RETRIES == 2
    client = MetabaseClient(f"http://127.0.0.1:{_closed_port()}", api_key="k")
    assert client.retry.connect == CONNECT_RETRIES
    with pytest.raises(MetabaseApiError) as caught:
        client.get("/api/session/properties", what="read Metabase version")
    message = str(caught.value)
    assert message.startswith("read Metabase version: no answer from Metabase at http://127")
    assert "is METABASE_URL right and Metabase running?" in message
    assert caught.value.sent is False and not caught.value.maybe_applied
