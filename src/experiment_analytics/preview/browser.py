"""Headless Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium, offline.

Used for the dashboard PNGs and by the browser tests. Nothing is downloaded: the browser and
driver are the system's (`make preview` / `make browser` install them with apt-get when
missing and run as root); Selenium Manager is never asked to fetch one.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from experiment_analytics.preview.cards import PreviewError

_logger = logging.getLogger(__name__)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
# Flags that keep headless Chromium quiet and offline in a container.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
INSTALL_HINT = (
    "headless Chromium is needed for the dashboard PNGs and the browser tests: install "
    "Debian's packages with `make browser` (as root: apt-get install -y chromium "
    "chromium-driver), or set CHROMIUM and CHROMEDRIVER to their paths"
)


def _find(env: str, candidates: tuple[str, ...], name: str) -> str | None:
    path = os.environ.get(env)
    if path:
        return path if Path(path).exists() else None
    found = next((c for c in candidates if Path(c).exists()), None)
    return found or shutil.which(name)


def chromium_paths() -> tuple[str, str]:
    """(browser, driver) paths; PreviewError with the way to install them when missing."""
    browser = _find("CHROMIUM", CHROMIUM_CANDIDATES, "chromium")
    driver = _find("CHROMEDRIVER", DRIVER_CANDIDATES, "chromedriver")
    if browser is None or driver is None:
        missing = " and ".join(
            name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path
        )
        raise PreviewError(f"{missing} not found; {INSTALL_HINT}")
    return browser, driver


@contextlib.contextmanager
def open_browser(width: int = 1200, height: int = 900) -> Iterator[object]:
    """A Selenium Chrome WebDriver on headless Chromium with console logging enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium_paths()
    profile = tempfile.mkdtemp(prefix="preview-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot_page(driver, page: Path, png: Path, width: int, scale: float = 1.0) -> None:
    """A PNG of the whole page laid out `width` CSS pixels wide, drawn at `scale`."""
    driver.set_window_size(width, 900)
    driver.get(page.resolve().as_uri())
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": scale,
            },
        },
    )
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(base64.b64decode(shot["data"]))
