"""Every preview page in real headless Chromium: no console error, every card present and laid
out on the 24-column grid, charts drawn, and a screenshot of each dashboard that is not blank."""

from __future__ import annotations

import io

import pytest
from dashboards.content import dashboard_specs, publisher_config
from PIL import Image
from selenium.webdriver.common.by import By

from experiment_analytics.preview.browser import open_browser

SPECS = {spec.dashboard: spec for spec in dashboard_specs()}
GAP = 8
MARKS = ", ".join(f"g.mark-{kind} path" for kind in ("line", "rect", "symbol", "area", "arc"))


@pytest.fixture(scope="module")
def browser(chromium):
    with open_browser(width=1200, height=900) as driver:
        yield driver


def load(driver, path) -> list[dict]:
    """Open a page; return the console messages it produced."""
    driver.get_log("browser")  # drop anything left from an earlier page
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    # self-contained: the page fetched nothing but its own pictures (the index's PNGs)
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [url for url in fetched if not url.endswith(".png")] == []
    assert all(url.startswith("file://") for url in fetched), fetched
    return driver.get_log("browser")


def test_index_and_alerts_pages_load_without_console_errors(browser, preview):
    messages = load(browser, preview.index_page)
    assert [m for m in messages if m["level"] in ("SEVERE", "WARNING")] == []
    links = browser.find_elements(By.CSS_SELECTOR, ".thumb h2 a")
    assert [a.text for a in links] == [spec.name for spec in SPECS.values()]
    images = browser.find_elements(By.CSS_SELECTOR, ".thumb img")
    assert len(images) == len(SPECS)
    for image in images:  # the PNGs load: natural size is known only for a decoded image
        assert browser.execute_script("return arguments[0].naturalWidth", image) > 0

    messages = load(browser, preview.alerts_page)
    assert [m for m in messages if m["level"] in ("SEVERE", "WARNING")] == []
    config = publisher_config()
    alerts = browser.find_elements(By.CSS_SELECTOR, "section.alert")
    assert [a.get_attribute("data-alert-key") for a in alerts] == [a.key for a in config.alerts]
    assert all(a.is_displayed() for a in alerts)
    subscriptions = browser.find_elements(By.CSS_SELECTOR, "section.subscription")
    assert len(subscriptions) == len(config.subscriptions)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_dashboard_loads_with_every_card_on_the_grid(browser, preview, name, tmp_path):
    spec = SPECS[name]
    messages = load(browser, preview.pages[name])
    assert [m for m in messages if m["level"] in ("SEVERE", "WARNING")] == []
    grid = browser.find_element(By.CSS_SELECTOR, "main.grid")
    grid_box = grid.rect
    column = (grid_box["width"] - 23 * GAP) / 24
    row_height = 48
    cards = browser.find_elements(By.CSS_SELECTOR, "article.card")
    assert [c.get_attribute("data-card-key") for c in cards] == [c.key for c in spec.cards]
    for element, card in zip(cards, spec.cards, strict=True):
        assert element.is_displayed()
        box = element.rect
        p = card.position
        # where the browser put the card is where the spec says, on the 24-column grid
        assert box["x"] - grid_box["x"] == pytest.approx(p.col * (column + GAP), abs=1.5)
        assert box["y"] - grid_box["y"] == pytest.approx(p.row * (row_height + GAP), abs=1.5)
        assert box["width"] == pytest.approx(p.size_x * column + (p.size_x - 1) * GAP, abs=1.5)
        assert box["height"] == pytest.approx(p.size_y * row_height + (p.size_y - 1) * GAP, abs=1.5)
        assert element.find_element(By.CSS_SELECTOR, ".card-title").text == card.name
        body = element.find_element(By.CSS_SELECTOR, ".card-body")
        if card.display in ("line", "bar", "row", "scatter", "area", "pie"):
            svg = body.find_element(By.CSS_SELECTOR, "svg")
            assert svg.rect["width"] > 100 and svg.rect["height"] > 50
            marks = svg.find_elements(By.CSS_SELECTOR, MARKS)
            assert marks, f"{card.key}: the chart draws no marks"
        elif card.display == "scalar":
            assert body.find_element(By.CSS_SELECTOR, ".scalar-value").text.strip()
        else:
            assert body.find_elements(By.CSS_SELECTOR, "th") or body.find_elements(
                By.CSS_SELECTOR, ".no-results"
            )
    screenshot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    assert_not_blank(screenshot, name)


def assert_not_blank(image: Image.Image, name: str) -> None:
    """Many colours, and a good share of pixels that are not the page background."""
    small = image.resize((image.width // 4, image.height // 4))
    total = small.width * small.height
    colours = small.getcolors(maxcolors=total)  # [(count, (r, g, b)), ...]
    _, background = max(colours)
    ink = sum(
        count
        for count, colour in colours
        if sum(abs(a - b) for a, b in zip(colour, background, strict=True)) > 30
    )
    assert len(colours) > 200, f"{name}: screenshot has {len(colours)} colours"
    assert ink / total > 0.05, f"{name}: screenshot is {ink / total:.1%} ink"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_dashboard_png_is_the_whole_page_and_not_blank(preview, name):
    image = Image.open(preview.pngs[name]).convert("RGB")
    assert image.height > 600
    assert_not_blank(image, name)
