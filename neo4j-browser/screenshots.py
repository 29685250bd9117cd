"""Record the README's demo job and take Neo4j Browser screenshots of it.

Run from the repository root with the local stack started:

    .venv/bin/python neo4j-browser/screenshots.py

It runs the demo with `flow` (upload, submit, simulate) and opens Neo4j
Browser in headless Chromium from Debian's `chromium` package. There it logs
in with the service's Neo4j credentials and runs table_lineage.cypher,
job_graph.cypher and table_sources.cypher on the new job. The PNG files go
to docs/images/. Every request that leaves the loopback address is aborted,
because Browser loads fonts and analytics from other hosts. `--job-id` reuses
a recorded job instead of submitting another.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Route, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from fate_lineage.conf import load_settings

REPOSITORY = Path(__file__).resolve().parents[1]
QUERIES = REPOSITORY / "neo4j-browser"
FLOW = Path(sys.executable).parent / "flow"
HETERO_LR = REPOSITORY / "examples" / "fate" / "hetero_logistic_regression"
CHROMIUM = "/usr/bin/chromium"
# The background-networking, component-update and sync flags stop Chromium's
# own connections to other hosts, and a fresh profile skips first-run pages.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Browser lays the graph out with a force simulation after the nodes appear.
# In these pictures it came to rest within this wait.
LAYOUT_SETTLE_MS = 3000
TIMEOUT_MS = 30_000
NOTICE_WAIT_MS = 10_000
STILL_POLL_MS = 250
# Time for the inspector to show the properties of the node under the pointer.
INSPECTOR_MS = 500
# Browser captions a node with its name, or else its first property, which
# for a task is a time. This style captions tasks and jobs by their key.
CAPTION_STYLE = (
    ':style node.Task {caption: "{component}"} node.Job {caption: "{job_id}"}'
)


def run_flow(environ: dict[str, str], *args: str) -> Any:
    """Run one `flow` command from the repository root and return its data."""
    done = subprocess.run(
        [str(FLOW), *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=REPOSITORY,
        timeout=120,
        check=False,
    )
    reply = json.loads(done.stdout) if done.stdout.strip() else {}
    if done.returncode != 0 or reply.get("retcode") != 0:
        sys.exit(f"flow {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return reply["data"]


def record_demo(environ: dict[str, str]) -> str:
    """Upload the demo tables, submit and simulate the hetero-LR job."""
    run_flow(environ, "data", "upload", "-c", "examples/upload_demo.json")
    submitted = run_flow(
        environ,
        "job",
        "submit",
        "-d",
        str(HETERO_LR / "hetero_lr_normal_dsl.json"),
        "-c",
        str(HETERO_LR / "hetero_lr_normal_conf.json"),
    )
    job_id: str = submitted["job_id"]
    run_flow(environ, "job", "simulate", "-j", job_id)
    return job_id


def guest_output(environ: dict[str, str], job_id: str, component: str) -> Any:
    [output] = run_flow(
        environ,
        "tracking",
        "output-data-table",
        "-j",
        job_id,
        "-r",
        "guest",
        "-p",
        "9999",
        "-cpn",
        component,
    )
    return output


def statement(name: str) -> str:
    """Return the Cypher of neo4j-browser/<name>.cypher without its comments."""
    lines = (QUERIES / f"{name}.cypher").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


def keep_on_loopback(route: Route) -> None:
    if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
        route.continue_()
    else:
        route.abort("blockedbyclient")


def log_in(
    page: Page, browser_url: str, bolt_url: str, user: str, password: str
) -> None:
    page.goto(browser_url)
    page.get_by_test_id("boltaddress").fill(bolt_url)
    page.get_by_test_id("username").fill(user)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("connect").click()
    page.get_by_text("You are connected as user").wait_for(timeout=TIMEOUT_MS)

    # Browser shows a notice about usage data a few seconds after the login.
    # Closing it keeps it out of the pictures.
    notice = page.get_by_text("collect information on product usage")
    try:
        notice.wait_for(timeout=NOTICE_WAIT_MS)
    except PlaywrightTimeoutError:
        return
    notice.locator("xpath=following-sibling::span").click()


def run_command(page: Page, text: str) -> None:
    """Type a command or query into Browser's editor, run it, wait for its frame."""
    frames = page.get_by_test_id("frame")
    expected = 0 if text == ":clear" else frames.count() + 1
    page.get_by_test_id("activeEditor").locator(".monaco-editor").first.click()
    # insert_text types no keys, so the editor adds no closing brackets.
    page.keyboard.insert_text(text)
    page.get_by_test_id("editor-Run").click()
    expect(frames).to_have_count(expected, timeout=TIMEOUT_MS)


def browser_parameters(values: dict[str, Any]) -> str:
    """Return a `:param` command setting ``values``, as the files' headers do."""
    items = ", ".join(f"{name}: {json.dumps(value)}" for name, value in values.items())
    return f":param {{{items}}}"


def wait_until_still(page: Page, element: Locator) -> None:
    """Wait until ``element`` stops moving: Browser slides new frames in."""
    previous = None
    for _ in range(TIMEOUT_MS // STILL_POLL_MS):
        box = element.bounding_box()
        if box is not None and box == previous:
            return
        previous = box
        page.wait_for_timeout(STILL_POLL_MS)
    sys.exit(f"a Neo4j Browser frame still moved after {TIMEOUT_MS} ms")


def show_graph(page: Page, query: str, parameters: dict[str, Any]) -> Locator:
    """Run a query that returns a graph and return its nodes once laid out."""
    run_command(page, ":clear")
    run_command(page, browser_parameters(parameters))
    run_command(page, statement(query))
    nodes = page.get_by_test_id("frame").first.locator("svg g.node")
    nodes.first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(LAYOUT_SETTLE_MS)
    return nodes


def take_screenshots(
    page: Page, job_id: str, outputs: dict[str, dict[str, str]], output_dir: Path
) -> list[Path]:
    """Write the lineage, job graph and sources pictures and return their paths."""
    lineage = output_dir / "neo4j-browser-lineage.png"
    job_graph = output_dir / "neo4j-browser-job-graph.png"
    sources = output_dir / "neo4j-browser-sources.png"
    start = outputs["intersection_0"]
    model_output = outputs["hetero_lr_0"]

    nodes = show_graph(
        page,
        "table_lineage",
        {"namespace": start["table_namespace"], "name": start["table_name"], "hops": 3},
    )
    # The pointer over the start table shows its properties in the inspector,
    # without the menu ring that a click opens. Its caption is its name cut to
    # the circle's width, 7 or 8 characters in these pictures.
    box = nodes.filter(has_text=start["table_name"][:5]).first.bounding_box()
    if box is None:
        sys.exit(f"table {start['table_name']} not found in Neo4j Browser's graph")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.wait_for_timeout(INSPECTOR_MS)
    page.screenshot(path=lineage)

    run_command(page, CAPTION_STYLE)
    show_graph(page, "job_graph", {"job_id": job_id})
    page.screenshot(path=job_graph)

    run_command(page, ":clear")
    run_command(
        page,
        browser_parameters(
            {
                "namespace": model_output["table_namespace"],
                "name": model_output["table_name"],
            }
        ),
    )
    run_command(page, statement("table_sources"))
    frame = page.get_by_test_id("frame").first
    frame.locator("table").first.wait_for(timeout=TIMEOUT_MS)
    wait_until_still(page, frame)
    page.screenshot(path=sources)
    return [lineage, job_graph, sources]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--job-id", help="use this recorded job instead of running the demo again"
    )
    parser.add_argument(
        "--browser-url",
        default="http://127.0.0.1:7474/browser/",
        help="Neo4j Browser address (default: the local stack's)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=REPOSITORY / "docs" / "images",
        help="folder for the PNG files (default: docs/images)",
    )
    args = parser.parse_args()
    settings = load_settings()
    environ = {
        **os.environ,
        "FATE_LINEAGE_FLOW_IP": settings.service.host,
        "FATE_LINEAGE_FLOW_PORT": str(settings.service.http_port),
    }

    job_id = args.job_id or record_demo(environ)
    outputs = {
        component: guest_output(environ, job_id, component)
        for component in ("intersection_0", "hetero_lr_0")
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            context.route("**/*", keep_on_loopback)
            page = context.new_page()
            log_in(
                page,
                args.browser_url,
                settings.neo4j.uri,
                settings.neo4j.user,
                settings.neo4j.password,
            )
            written = take_screenshots(page, job_id, outputs, args.output_dir)
        finally:
            context.close()

    print(f"job {job_id}")
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
