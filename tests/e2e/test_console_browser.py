"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright): sign in on
the seeded world of tests/support/console_world.py, open the detections and Today, open the top case,
start it and resolve it as confirmed fraud, read its detection, see the rule's outcome statistics on
the Rules page, see a register's Bubble state on Devices, and sign out. A screenshot of each page is
written under this test's tmp folder; any browser console error or uncaught page error fails the run.

The journey runs once (a module-scoped fixture); the tests below read what it saw.
``make test`` installs chromium where missing (scripts/ensure-services.sh).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.bubble.service.scoring import run
from core.web.app import create_app
from tests.support import bubble_world
from tests.support.console_world import ConsoleWorld, console_container, seed
from tests.support.mcp_http import serving

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Journey:
    world: ConsoleWorld
    shots: dict[str, Path] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: run `bash scripts/ensure-services.sh` (or `make test`)")
    out = tmp_path_factory.mktemp("console-browser")
    with console_container(out / "canary") as container:
        world = seed(container)
        bubble_world.seed(container.db, bubble_world.world(), world.merchant_a)
        run(container.db, world.merchant_a, clock=container.clock)
        seen = Journey(world)
        with serving(create_app(container)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.errors.append(str(e)))
            page.set_default_timeout(10_000)

            def shot(name: str) -> None:
                seen.shots[name] = out / f"{name}.png"
                page.screenshot(path=str(seen.shots[name]), full_page=True)
                seen.texts[name] = page.inner_text("main")
                seen.urls[name] = page.url

            page.goto(f"{base}/console/detections")
            shot("sign-in")
            page.get_by_label("Canary token").fill(world.tokens["analyst"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/console/detections")
            shot("detections")
            page.get_by_role("link", name="Today").click()
            page.wait_for_url("**/console/")
            page.keyboard.press("Tab")  # the first stop on a fresh page is the skip link
            seen.texts["first-tab"] = page.evaluate("document.activeElement.textContent")
            shot("today")
            page.locator("section[aria-labelledby=top]").get_by_role("link").first.click()
            page.wait_for_url(f"**/console/cases/{world.case_a}")
            shot("case")
            page.get_by_role("button", name="Start investigation").click()
            page.wait_for_url("**?done=start")
            page.get_by_label("Outcome").select_option("confirmed_fraud")
            page.locator("#resolve-reason").fill("voids were staged, confirmed on the store camera")
            page.get_by_role("button", name="Resolve").click()
            page.wait_for_url("**?done=resolve")
            shot("case-resolved")
            page.get_by_role(
                "link", name=world.detection_a.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
            ).click()
            page.wait_for_url(f"**/console/detections/{world.detection_a.detection_id}")
            shot("detection")
            page.get_by_role("link", name="Detections").first.click()
            page.get_by_label("Rule").select_option("Q-VR-03")
            page.get_by_role("button", name="Filter").click()
            page.wait_for_url("**/console/detections?rule=Q-VR-03*")
            shot("detections-filtered")
            page.get_by_role("link", name="Rules").click()
            page.wait_for_url("**/console/rules")
            shot("rules")
            page.get_by_role("link", name="Q-VR-03", exact=True).click()
            page.wait_for_url("**/console/rules/Q-VR-03")
            shot("rule")
            page.get_by_role("link", name="Dashboard").click()
            page.wait_for_url("**/console/dashboard")
            seen.texts["sparkline"] = page.locator("svg.spark title").first.text_content() or ""
            shot("dashboard")
            page.get_by_role("link", name="Devices").click()
            page.wait_for_url("**/console/devices")
            shot("devices")
            page.set_viewport_size({"width": 768, "height": 1024})  # a tablet
            seen.texts["tablet-overflow"] = str(
                page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            )
            shot("rule-tablet")
            page.get_by_role("link", name="Detections").first.click()
            page.wait_for_url("**/console/detections")
            seen.texts["tablet-overflow"] += " " + str(
                page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            )
            shot("detections-tablet")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url("**/console/sign-in")
            shot("signed-out")
            page.goto(f"{base}/console/")
            seen.urls["after-sign-out"] = page.url
            browser.close()
        yield seen


def test_the_journey_raised_no_browser_console_error(journey: Journey) -> None:
    assert journey.errors == []


def test_every_page_has_a_screenshot(journey: Journey) -> None:
    expected = ["sign-in", "detections", "today", "case", "case-resolved", "detection", "detections-filtered"]
    expected += ["rules", "rule", "dashboard", "devices", "rule-tablet", "detections-tablet"]
    for name in [*expected, "signed-out"]:
        assert journey.shots[name].stat().st_size > 5_000, name


def test_the_pages_show_the_seeded_world(journey: Journey) -> None:
    w = journey.world
    assert "Sign in to the Canary console" in journey.texts["sign-in"]
    assert "sq:employee:TM1 voided 3 transactions in one session" in journey.texts["today"]
    assert "Open cases that most need attention" in journey.texts["today"]
    assert "sq:employee:TM1 voided 3 transactions in one session" in journey.texts["case"]
    assert "Start investigation" in journey.texts["case"]
    assert "Case resolved" in journey.texts["case-resolved"]
    assert "outcome confirmed_fraud" in journey.texts["case-resolved"]
    assert "sq:employee:TM1 voided 3 transactions in one session" in journey.texts["detections-filtered"]
    assert w.detection_a.detection_id in journey.texts["detection"]
    assert "Substrate snapshot" in journey.texts["detection"]
    assert "Q-VR-03" in journey.texts["rules"]
    assert "min_voids" in journey.texts["rule"]
    assert "1 confirmed_fraud" in journey.texts["rules"]  # the resolved case's outcome
    assert "confirmed_fraud: 1" in journey.texts["rule"]
    assert "Changing a rule's mode needs the rules:write scope" in journey.texts["rule"]
    assert "Did LP improve this month against last?" in journey.texts["dashboard"]
    assert "100%" in journey.texts["dashboard"]  # the case resolved as confirmed fraud this month
    assert "sq:device:D1" in journey.texts["devices"]
    assert "history_sufficient" in journey.texts["devices"]
    assert journey.texts["sparkline"].startswith(f"voids, {w.detection_a.location_id}: 0, 0, 0, 0, 0")


def test_the_pages_are_keyboard_reachable_and_fit_a_tablet(journey: Journey) -> None:
    assert journey.texts["first-tab"] == "Skip to content"
    assert journey.texts["tablet-overflow"] == "False False"  # the rule page, the detections


def test_sign_out_leaves_the_browser_signed_out(journey: Journey) -> None:
    assert journey.urls["signed-out"].endswith("/console/sign-in")
    assert "/console/sign-in?next=/console/" in journey.urls["after-sign-out"]
