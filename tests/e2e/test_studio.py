"""A creator in the browser: sign up, generate a clip and play it; a blocked prompt, its reasons, an appeal."""

import contextlib
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from review.models import ReviewItem, ReviewKind
from studio.models import GenerationJob, JobState

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


class PacedBackend:
    """The real built-in generator, paced so that a browser polling every two seconds sees the bar move: a warm
    model finishes four steps in well under a second."""

    def __init__(self, backend, seconds_per_step: float):
        self.backend, self.seconds_per_step, self.name = backend, seconds_per_step, backend.name

    def generate(self, prompt, *, progress=None, **options):
        def paced(step, total):
            time.sleep(self.seconds_per_step)
            if progress is not None:
                progress(step, total)

        return self.backend.generate(prompt, progress=paced, **options)


def test_creator_signs_up_generates_watches_progress_and_plays_the_clip(page, live_server, worker, screenshot,
                                                                        monkeypatch):
    from studio import pipeline

    real = pipeline.generation_backend
    monkeypatch.setattr(pipeline, "generation_backend", lambda: PacedBackend(real(), seconds_per_step=1.0))
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Email").fill("maya@example.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/accounts/")
    expect(page.get_by_text("Welcome to Clearframe.")).to_be_visible()
    expect(page.locator("#quota-h + p")).to_contain_text("of")

    page.get_by_role("link", name="Studio", exact=True).click()
    page.get_by_label("Prompt", exact=True).fill("a red ball moves right on a dark background")
    page.get_by_text("Generation options").click()
    steps = page.get_by_label("Denoising steps")
    assert steps.get_attribute("min") == "1" and steps.get_attribute("max") == "100"  # bounds from studio.params
    steps.fill("4")
    page.get_by_label("Seed").fill("7")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r".*/studio/jobs/[0-9a-f-]{36}/$"))
    job = GenerationJob.objects.get(user__username="maya")
    assert job.state == JobState.QUEUED and job.params["steps"] == 4 and job.params["seed"] == 7
    expect(page.locator("#job-status .badge")).to_have_text("Queued")

    # The page polls its status fragment while the worker runs; record every value the bar shows.
    running = worker()
    seen: set[int] = set()
    read_bar = "() => { const bar = document.getElementById('job-progress'); return bar ? Number(bar.value) : null; }"
    for _ in range(600):
        with contextlib.suppress(PlaywrightError):  # the page reloads itself once the job is done
            value = page.evaluate(read_bar)
            if value is not None:
                seen.add(int(value))
            if page.locator("video.player").count():
                break
        if not running.alive():
            break  # the expectations below wait for the page's last poll
        page.wait_for_timeout(250)
    running.join()
    job.refresh_from_db()
    assert job.state == JobState.PUBLISHED, job.failure_reason
    expect(page.locator("video.player")).to_be_visible()
    print("progress values the page showed:", sorted(seen))
    assert any(0 < value < 100 for value in seen), f"the bar never moved between 0 and 100: {sorted(seen)}"
    expect(page.locator("#job-progress")).to_have_attribute("value", "100")
    expect(page.locator("#job-status .badge")).to_have_text("Published")

    # The player decodes and plays the sealed MP4.
    page.locator("video.player").evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => { const v = document.querySelector('video.player'); return v.currentTime > 0.2; }")
    assert page.locator("video.player").evaluate("v => v.error === null && v.videoWidth") == 256

    credentials = page.locator("section.credentials")
    expect(credentials).to_contain_text("Signed by")
    expect(credentials).to_contain_text(job.ledger_entry.payload)
    expect(credentials).to_contain_text("c2pa.created")
    download = page.get_by_role("link", name="Download the sealed video")
    assert download.get_attribute("href").endswith("video.mp4?download=1")
    screenshot()

    page.get_by_role("navigation").get_by_role("link", name="Studio", exact=True).click()
    row = page.locator("#job-rows tr").first
    expect(row.locator(".badge")).to_have_text("Published")
    expect(row.locator("progress")).to_have_attribute("value", "100")
    screenshot("jobs")


def test_blocked_prompt_shows_categories_and_reasons_and_can_be_appealed(page, live_server, make_user, log_in,
                                                                           screenshot):
    creator = make_user("creator", "sam")
    log_in(creator)
    page.goto(f"{live_server.url}/studio/jobs/")
    page.get_by_label("Prompt", exact=True).fill("a man beheading a hostage with a machete, blood everywhere")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r".*/studio/jobs/[0-9a-f-]{36}/$"))

    blocked = page.get_by_role("region", name="Blocked by the prompt check")
    expect(blocked).to_be_visible()
    expect(blocked.locator("ul.reasons")).to_contain_text("beheading")
    expect(blocked.locator("meter").first).to_have_attribute("aria-label", re.compile("violence"))
    expect(page.locator("#job-status .badge")).to_have_text("Rejected")
    screenshot("blocked")

    page.get_by_label(re.compile("Appeal this decision")).fill("It is a scene from a history documentary.")
    page.get_by_role("button", name="Appeal").click()
    expect(page.get_by_text("Your appeal is in the review queue")).to_be_visible()
    expect(page.get_by_role("button", name="Appeal")).to_have_count(0)  # once only
    item = ReviewItem.objects.get(job__user=creator, kind=ReviewKind.APPEAL)
    assert item.message == "It is a scene from a history documentary."
    page.goto(f"{live_server.url}/accounts/")
    expect(page.locator("#strikes-h + p")).to_have_text("1")
    screenshot("appealed")


def test_blocks_show_by_category_on_the_admin_dashboard(page, live_server, make_user, log_in, screenshot):
    from studio.services import job_submit

    creator = make_user("creator", "bo")
    for prompt in ("a man beheading a hostage with a machete, blood everywhere",
                   "a red ball moves right on a dark background"):
        job_submit(user=creator, prompt=prompt, params={"steps": 4})
    log_in(make_user("admin", "adm"))
    page.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    blocks = page.get_by_role("region", name="Blocks by category")
    expect(blocks.locator("li").first).to_contain_text("violence")
    expect(page.locator(".stat").nth(0)).to_contain_text("2")  # submissions
    expect(page.locator(".stat").nth(1)).to_contain_text("1")  # blocked
    expect(page.get_by_role("region", name="Job queue")).to_contain_text("Queued")
    screenshot()
