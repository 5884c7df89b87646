"""A real Chromium (Debian's package, driven by Playwright) on the local runtime's console."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on this machine (make test installs Debian's package where apt works)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, runtime: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    # axe-core is injected as a script, which the console's own policy forbids: only the
    # accessibility test (marker `inject_axe`) lifts it, for its own browser context.
    bypass_csp = request.node.get_closest_marker("inject_axe") is not None
    context = browser.new_context(viewport=DESKTOP, base_url=runtime.url, bypass_csp=bypass_csp)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=runtime.url)
    opened = context.new_page()
    # Generous: the local runtime shares two cores with the ladders other tests start.
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def sign_in(page: Any, key: str) -> None:
    page.goto("/#/signin")
    page.fill("#api-key", key)
    page.click("button[type=submit]")
    page.wait_for_selector("#incident-list")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make test installs it with npm)")
    page.add_script_tag(content=AXE.read_text())
    results = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def unfit_for_a_phone(page: Any) -> list[str]:
    """What keeps the page as it is now from fitting a phone: horizontal scrolling, and
    controls (buttons, fields, disclosures) shorter than a 44-pixel tap target."""
    problems = (
        []
        if page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        else ["scrolls sideways"]
    )
    return problems + page.evaluate(
        "() => [...document.querySelectorAll('button, input, select, summary')]"
        ".filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))"
    )
