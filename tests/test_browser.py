"""The web page in a real browser: Playwright drives Debian's headless Chromium against `rerec serve` on loopback.

Needs the `playwright` Python package and `/usr/bin/chromium` (`.ci/run` installs both); skipped with the
reason otherwise. Generation is scripted so the marks on the page can be checked exactly.
"""

from __future__ import annotations

import shutil

import pytest
from serve_fixtures import ScriptedAssistant, movie_world

from rerec.serve.api import API_KEY_ENV, background_server, create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ANSWER = (
    "Step 1: Jaws (1975) was directed by Steven Spielberg.\n"
    "Step 2: Alien (1979) was directed by Steven Spielberg.\n"
    "\\boxed{Close Encounters of the Third Kind (1977)}"
)


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    with background_server(create_app(ScriptedAssistant(movie_world(), [ANSWER], num_candidates=4))) as base:
        yield base


def test_page_renders_items_and_marked_steps(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the .ci/run installs it)")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (the .ci/run installs it)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 700})
        page.goto(server)
        page.fill("#query", "films by the director of Jaws")
        page.fill("#k", "3")
        page.click("#go")
        page.wait_for_selector("#items li")
        items = page.locator("#items li strong").all_inner_texts()
        assert items == ["Close Encounters of the Third Kind (1977)", "Raiders of the Lost Ark (1981)", "Alien (1979)"]
        steps = page.locator("#steps li")
        assert steps.count() == 2
        assert steps.nth(0).get_attribute("class") == "true" and "✓ verified" in steps.nth(0).inner_text()
        assert steps.nth(1).get_attribute("class") == "false" and "✗ false" in steps.nth(1).inner_text()
        assert "answered in" in page.inner_text("#latency")
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        page.fill("#query", "a comedy")
        page.fill("#user", "nobody")
        page.click("#go")
        page.wait_for_selector(".error")
        assert "Error 404: unknown user 'nobody'" in page.inner_text(".error")
        browser.close()
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_page_sends_the_api_key_it_is_given(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the .ci/run installs it)")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (the .ci/run installs it)")
    monkeypatch.setenv(API_KEY_ENV, "s3cret")
    app = create_app(ScriptedAssistant(movie_world(), [ANSWER], num_candidates=4))
    with background_server(app) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.goto(base)
        page.fill("#query", "films by the director of Jaws")
        page.click("#go")
        page.wait_for_selector(".error")
        assert "Error 401" in page.inner_text(".error") and "API key" in page.inner_text(".error")
        page.fill("#apikey", "s3cret")
        page.click("#go")
        page.wait_for_selector("#items li")
        assert page.locator("#items li").count() > 0
        page.reload()  # the same tab keeps the key for the session (sessionStorage), so the next ask works too
        assert page.input_value("#apikey") == "s3cret"
        assert page.evaluate("localStorage.length") == 0
        browser.close()
