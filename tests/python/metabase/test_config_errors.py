"""Every kind of bad configuration ends with one clear error naming the file and the field, and
Metabase receives zero requests (validation runs before the client is even created).

Each case edits a copy of the real project (metabase/publisher.yml or a dashboard spec) and runs
the real `publish()` against the Metabase double. The double's version does not matter here:
no request is sent at all, which the double's request log proves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from experiment_analytics.metabase import PublishOptions, SpecError, publish
from experiment_analytics.metabase.quartz import CronError, validate_quartz_cron
from experiment_analytics.metabase.spec import parse_publisher

from .conftest import DOUBLE_ONLY, copy_project, fresh_double

pytestmark = [DOUBLE_ONLY, pytest.mark.slow]

PUBLISHER = "metabase/publisher.yml"
OVERVIEW = "metabase/dashboards/experiment_overview.yml"
LATENCY = "metabase/dashboards/latency_and_cost.yml"


def _yaml(relative: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return edit


def _text(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))

    return edit


def _schedule(value: str) -> Callable[[Path], None]:
    return _yaml(PUBLISHER, lambda d: d["alerts"][0].update(schedule=value))


def _group_named(name: str) -> Callable[[Path], None]:
    return _yaml(PUBLISHER, lambda d: d["groups"]["product"].update(name=name))


# case -> (edit, file, words the problem must contain)
CASES = {
    "unix cron": (_schedule("*/5 * * * *"), PUBLISHER, "alerts[0] (constraint_violation).schedule"),
    "increment beyond the field": (_schedule("0 0/75 * * * ?"), PUBLISHER, "increment 75"),
    "prose schedule": (_schedule("every 5 minutes"), PUBLISHER, "not a Quartz cron expression"),
    "unset variable": (
        _yaml(
            PUBLISHER,
            lambda d: d["channels"]["oncall_slack"].update(channel="${UNSET_PUBLISHER_TEST_VAR}"),
        ),
        PUBLISHER,
        "channels.oncall_slack.channel: environment variable UNSET_PUBLISHER_TEST_VAR is not set",
    ),
    "bad email": (
        _yaml(PUBLISHER, lambda d: d["channels"]["oncall_email"].update(recipients=["oncall@"])),
        PUBLISHER,
        "channels.oncall_email.recipients[0]: 'oncall@' is not an email address",
    ),
    "slack without #": (
        _yaml(PUBLISHER, lambda d: d["channels"]["oncall_slack"].update(channel="oncall")),
        PUBLISHER,
        "channels.oncall_slack.channel: 'oncall' is not a Slack channel",
    ),
    "group Administrators": (_group_named("Administrators"), PUBLISHER, "groups.product.name"),
    "group All Users": (_group_named("All Users"), PUBLISHER, "built-in group"),
    "group All internal users": (_group_named("All internal users"), PUBLISHER, "built-in group"),
    "duplicate YAML key": (
        _text(
            PUBLISHER,
            "  product: {name: Product, collections: {overview: read}}\n",
            "  product: {name: Product, collections: {overview: read}}\n"
            '  product: {name: Product, collections: {"*": write}}\n',
        ),
        PUBLISHER,
        "key 'product' repeats line",
    ),
    "duplicate collection name": (
        _yaml(PUBLISHER, lambda d: d["collections"]["alerts"].update(name="Engineering")),
        PUBLISHER,
        "collection name 'Engineering' is used 2 times",
    ),
    "duplicate subscription name": (
        _yaml(
            PUBLISHER,
            lambda d: d["subscriptions"][1].update(name=d["subscriptions"][0]["name"]),
        ),
        PUBLISHER,
        "subscription name 'Weekly Experiment Overview' is used 2 times",
    ),
    "duplicate dashboard name": (
        _yaml(LATENCY, lambda d: d.update(name="Experiment Overview")),
        LATENCY,
        "name 'Experiment Overview' is also the name of dashboard experiment_overview",
    ),
    "duplicate card name": (
        _yaml(LATENCY, lambda d: d["cards"][0].update(name="Active Experiments")),
        LATENCY,
        "card name 'Active Experiments' is also used by",
    ),
    "near-miss key": (
        _yaml(PUBLISHER, lambda d: d["alerts"][0].update(chanels=d["alerts"][0].pop("channels"))),
        PUBLISHER,
        "unknown key 'chanels' (did you mean 'channels'?)",
    ),
    "near-miss reference": (
        _yaml(PUBLISHER, lambda d: d["alerts"][0].update(channels=["ml_team_slak"])),
        PUBLISHER,
        "unknown channel 'ml_team_slak' (did you mean 'ml_team_slack'?)",
    ),
}


@pytest.fixture(scope="module")
def double(demo_settings):
    with fresh_double(demo_settings) as double:
        yield double


@pytest.mark.parametrize("case", CASES)
def test_bad_configuration_is_refused_with_zero_requests(
    case, double, demo_settings, compiled_target, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("UNSET_PUBLISHER_TEST_VAR", raising=False)
    edit, relative, expected = CASES[case]
    project = copy_project(tmp_path / "project")
    edit(project)
    double.clear_requests()
    with pytest.raises(SpecError) as caught:
        publish(replace(_options(double, demo_settings, compiled_target), project_dir=project))
    assert double.requests == [], "a bad configuration must not reach Metabase"
    where = str(project / relative)
    assert any(p.startswith(where) and expected in p for p in caught.value.problems), str(
        caught.value
    )


def _options(double, warehouse, target: Path) -> PublishOptions:
    return PublishOptions(
        metabase_url=double.url,
        metabase_api_key=double.api_key,
        warehouse=warehouse,
        target_dir=target,
        compile=False,
    )


def test_every_problem_is_reported_in_one_error(tmp_path) -> None:
    project = copy_project(tmp_path / "project")
    for name in ("unix cron", "group All Users", "bad email"):
        CASES[name][0](project)
    _yaml(PUBLISHER, lambda d: d["alerts"][1].update(schedule="0 0/75 * * * ?"))(project)
    with pytest.raises(SpecError) as caught:
        parse_publisher(project / PUBLISHER)
    problems = caught.value.problems
    assert any("alerts[0] (constraint_violation).schedule" in p for p in problems)
    assert any("alerts[1] (high_p99_latency).schedule" in p for p in problems)
    assert any("groups.product.name" in p for p in problems)


@pytest.mark.parametrize(
    "expression",
    [
        "0 0/5 * * * ?",
        "0 0 9 ? * MON",
        "0 15 10 L * ?",
        "0 15 10 ? * 6#3",
        "0 0 12 1W * ?",
        "0 0 12 ? * 2-6 2026",
        "0 0 22-2 * * ?",
        "0 0 0/6 * * ?",
        "*/10 * * ? * MON-FRI",
    ],
)
def test_quartz_accepts(expression: str) -> None:
    validate_quartz_cron(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "*/5 * * * *",
        "0 0/75 * * * ?",
        "every 5 minutes",
        "0 0 0 * * *",
        "0 0 0 ? * ?",
        "0 60 * * * ?",
        "0 0 24 * * ?",
        "0 0 0 ? * 8",
        "0 0 0 L,5 * ?",
        "0 0 0 ? * MON#6",
        "0 0 0 ? JANUARY *",
        "0 0 0 1 * ? 1969",
        "0 0 0 1 * ? * *",
    ],
)
def test_quartz_refuses(expression: str) -> None:
    with pytest.raises(CronError):
        validate_quartz_cron(expression)
