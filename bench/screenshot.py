"""The README's screenshot: the chat app over docqa's own guide, one question asked and a
citation opened, taken in Debian's chromium.

    python bench/screenshot.py                      # writes docs/screenshot.png
    python bench/screenshot.py --docs ~/notes --question "where are the backups kept?" --out /tmp/s.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import REPO

from tests.browser.chromium import CHROMIUM_ARGS, chromium_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=Path, default=REPO / "docs")
    parser.add_argument("--index", type=Path, default=REPO / "bench" / ".cache" / "screenshot")
    parser.add_argument("--model", default=None, help="default: docqa's default model")
    parser.add_argument("--question", default="how do I add documents from the browser?")
    parser.add_argument("--open", type=int, default=2, help="citation rank to open")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument(
        "--chromium", default=chromium_path(), help="default: DOCQA_CHROMIUM or chromium on PATH"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from app import CSS, build_app
    from index import IndexConfig, build_index
    from qa import Retriever
    from webapp.server import ServeOptions, start

    config = IndexConfig(index_dir=args.index, **({"model": args.model} if args.model else {}))
    build_index(args.docs, config)
    demo = build_app(Retriever(args.index))
    with start(demo, ServeOptions(port=0), css=CSS) as running, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(running.url)
        box = page.locator("#docqa-question textarea")
        box.fill(args.question)
        box.press("Enter")
        page.locator("#docqa-turn-0 .docqa-passage").first.wait_for()
        cite = page.locator(f'#docqa-turn-0 .docqa-passage .docqa-cite[data-rank="{args.open}"]')
        if cite.count():
            cite.click()
        page.wait_for_function("() => !document.querySelector('.pending, .progress-text')")
        page.wait_for_timeout(500)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
