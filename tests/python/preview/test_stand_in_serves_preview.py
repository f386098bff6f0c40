"""The publisher's printed dashboard URLs open the preview on the Metabase stand-in."""

from __future__ import annotations

import requests
from dashboards.content import dashboard_specs

from experiment_analytics.metabase.run import PublishOptions, publish
from experiment_analytics.metabase_double import MetabaseDouble

from .dom import parse


def test_summary_links_open_each_dashboard_preview(
    preview, preview_warehouse, preview_target, tmp_path
):
    specs = {spec.dashboard: spec for spec in dashboard_specs()}
    with MetabaseDouble(
        warehouse=preview_warehouse, preview_dir=preview.output_dir, sync_delay_seconds=0.05
    ) as double:
        summary = publish(
            PublishOptions(
                metabase_url=double.url,
                metabase_api_key=double.api_key,
                warehouse=preview_warehouse,
                target_dir=preview_target,
                compile=False,
                push_model_metadata=False,
            )
        )
        assert set(summary.dashboard_urls) == set(specs)
        for name, url in summary.dashboard_urls.items():
            answer = requests.get(url, timeout=30)  # no login: the link is clicked in a browser
            assert answer.status_code == 200, answer.text
            assert answer.headers["Content-Type"].startswith("text/html")
            page = parse(answer.text)
            assert page.find("h1").text() == specs[name].name
            keys = [a.attrs["data-card-key"] for a in page.find_all("article", cls="card")]
            assert keys == [card.key for card in specs[name].cards]
            # the page's own links (other pages, pictures) resolve under /dashboard/
            alerts = requests.get(url.rsplit("/", 1)[0] + "/alerts.html", timeout=30)
            assert alerts.status_code == 200 and "Alerts &amp; schedules" in alerts.text
        picture = requests.get(f"{double.url}/dashboard/variant_performance.png", timeout=30)
        assert picture.headers["Content-Type"] == "image/png"
        assert picture.content.startswith(b"\x89PNG")
        assert requests.get(f"{double.url}/dashboard/999", timeout=30).status_code == 404
        assert requests.get(f"{double.url}/dashboard/..%2Fx.html", timeout=30).status_code == 404


def test_without_a_preview_the_page_says_how_to_make_one(preview_warehouse, tmp_path):
    with MetabaseDouble(preview_dir=tmp_path / "none") as double:
        headers = {"X-API-KEY": double.api_key}
        created = requests.post(
            f"{double.url}/api/dashboard", json={"name": "Experiment Overview"}, headers=headers
        )
        assert created.status_code == 200, created.text
        answer = requests.get(f"{double.url}/dashboard/{created.json()['id']}", timeout=30)
        assert answer.status_code == 404
        assert "experiment-analytics preview" in answer.text
