"""Browser tests: Debian's Chromium (headless, by its executable path) against pytest-django's live server,
with the real prompt gate, the built-in generator, development signing keys and an in-process worker."""

import os
import shutil
import threading
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the tests still read and write the database here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CLEARFRAME_E2E_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; install the chromium package (.ci/run does)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-dev-shm-usage"]}


@pytest.fixture(autouse=True)
def _real_pipeline(real_pipeline):
    """Every browser test runs the real gate and seals with development keys (tests/conftest.py)."""


@pytest.fixture
def page(page, live_server):
    """Every page of a test starts at the live server, fails on a script error, and waits at most 20 s."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "Content Security" in msg.text
            else None)
    page.set_default_timeout(20_000)
    yield page
    assert not errors, f"script errors or CSP violations in the browser: {errors}"


@pytest.fixture
def screenshot(page, request):
    """screenshot("name"): a full-page PNG under tests/e2e/screenshots/ named after the test."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str = "") -> Path:
        path = SCREENSHOTS / f"{request.node.name}{'-' + name if name else ''}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(page, live_server):
    def log_in_as(user) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/accounts/")

    return log_in_as


class BackgroundWorker:
    """The loop `manage.py worker --batch` runs, on a thread (it cannot install signal handlers off the main
    thread, so the loop is started without them): it runs every queued job, then stops."""

    def __init__(self):
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True, name="e2e-worker")

    def _run(self) -> None:
        from django.db import connections
        from django_tasks_db.management.commands.db_worker import Worker

        try:
            Worker(queue_names=["default"], interval=0.2, batch=True, backend_name="default", startup_delay=False,
                   max_tasks=None, worker_id="e2e-worker", excluded_queue_names=[]).run()
        except BaseException as exc:  # reported by join() in the test thread
            self.error = exc
        finally:
            connections.close_all()

    def start(self) -> "BackgroundWorker":
        self.thread.start()
        return self

    def alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float = 300) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the worker did not finish within {timeout:.0f}s"
        if self.error is not None:
            raise self.error


@pytest.fixture
def worker():
    started: list[BackgroundWorker] = []

    def start() -> BackgroundWorker:
        started.append(BackgroundWorker().start())
        return started[-1]

    yield start
    for each in started:
        each.thread.join(300)
