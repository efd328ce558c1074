"""Screenshot of the web page answering a real query with the real model, for the README (docs/serve-page.png).

.venv/bin/python scripts/screenshot.py                       # trained model if present, else base
.venv/bin/python scripts/screenshot.py --query "a 90s comedy" --out /tmp/page.png

Needs the `playwright` package and Debian's `chromium` (as the browser test does).
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

from rerec.serve.api import background_server, create_app
from rerec.serve.assistant import Assistant, AssistantConfig
from rerec.serve.console import default_model

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--prepared", default="runs/ml100k")
    parser.add_argument("--query", default="Movies made by the studio of Kull the Conqueror (1997)")
    parser.add_argument("--k", default="5")
    parser.add_argument("--out", default="docs/serve-page.png")
    args = parser.parse_args()
    cfg = AssistantConfig(model_name_or_path=args.model or default_model(), prepared=args.prepared)
    with background_server(create_app(Assistant.load(cfg))) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 760})
        page.goto(f"{base}/")
        page.fill("#query", args.query)
        page.fill("#k", args.k)
        page.click("#go")
        page.wait_for_selector("#latency", timeout=300_000)
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    print(f"{args.out}: {cfg.model_name_or_path} answering {args.query!r}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
