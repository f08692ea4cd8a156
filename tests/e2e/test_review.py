"""A reviewer in the browser: approve a prompt in review with the keyboard; a hostile prompt is shown inert."""

import pytest
from playwright.sync_api import expect

from review.models import AuditEvent, ReviewItem, ReviewState
from studio.models import JobState
from studio.services import job_submit

pytestmark = pytest.mark.django_db(transaction=True)

# The real prompt gate sends a row that is neither sport nor graphic to a person (violence, between its review
# and block thresholds: 0.77 with the committed heads).
IN_REVIEW = "a couple shouting at each other and throwing plates"


def in_review(user, prompt: str):
    job = job_submit(user=user, prompt=prompt, params={"steps": 4, "seed": 3})
    assert job.state == JobState.IN_REVIEW, f"the prompt gate decided {job.moderation} for {prompt!r}"
    return job


def test_reviewer_approves_a_prompt_in_review_with_the_keyboard(page, live_server, make_user, log_in, screenshot):
    creator, reviewer = make_user("creator", "ana"), make_user("reviewer", "rui")
    job = in_review(creator, IN_REVIEW)
    log_in(reviewer)
    page.get_by_role("navigation").get_by_role("link", name="Review", exact=True).click()
    item = page.locator("article.review-item")
    expect(item).to_have_count(1)
    expect(item.locator("blockquote.prompt")).to_have_text(IN_REVIEW)
    expect(item.locator("meter[aria-label='violence score']")).to_have_count(1)
    expect(item.locator("ul.reasons")).to_contain_text("violence")
    screenshot("queue")

    page.keyboard.press("a")  # approve the current (first) item
    expect(page.get_by_text(f"Prompt {ReviewItem.objects.get(job=job).pk} approved.")).to_be_visible()
    expect(page.locator("article.review-item")).to_have_count(0)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert AuditEvent.objects.filter(action="review.prompt_approved", actor=reviewer).count() == 1

    page.get_by_role("link", name="History of decisions").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text(IN_REVIEW)
    expect(row.locator(".badge")).to_have_text("Approved")
    expect(row).to_contain_text("rui")
    screenshot("history")


def test_a_prompt_with_markup_is_shown_inert_to_the_reviewer(page, live_server, make_user, log_in, screenshot):
    creator, reviewer = make_user("creator", "mallory"), make_user("reviewer", "rita")
    hostile = (f"{IN_REVIEW} <script>window.pwned = 1; document.title = 'pwned'</script>"
               "<img src=x onerror=\"window.pwned = 2\">")
    job = in_review(creator, hostile)
    log_in(reviewer)
    response = page.goto(f"{live_server.url}/review/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp

    prompt = page.locator("article.review-item blockquote.prompt")
    expect(prompt).to_have_text(hostile)  # shown as text, character for character
    assert prompt.locator("script, img").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert page.title() != "pwned"

    screenshot("queue")

    # Rejecting needs a reason, and the reason is escaped too.
    reason = page.get_by_label("Reason")
    page.keyboard.press("r")
    expect(reason).to_be_focused()
    reason.fill("script injection attempt <b>bold</b>")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("rejected.")).to_be_visible()
    item = ReviewItem.objects.get(job=job)
    assert item.state == ReviewState.REJECTED and item.reason == "script injection attempt <b>bold</b>"
    page.get_by_role("link", name="History of decisions").click()
    expect(page.locator("tbody tr").first).to_contain_text("<b>bold</b>")
    assert page.evaluate("() => window.pwned") is None
    screenshot()


def held_for_review(frames, fps):
    """The real frame check's scores, with its decision forced to review so that a person must look."""
    import safety

    verdict = safety.moderate_frames(frames, fps).as_dict()
    return {**verdict, "decision": "review", "reasons": ["frames: held for a person to look (forced by the test)"]}


def test_reviewer_sees_the_sampled_frames_of_a_held_clip_and_approves_it(page, live_server, settings, make_user,
                                                                         log_in, worker, screenshot):
    settings.CLEARFRAME = {**settings.CLEARFRAME, "FRAME_MODERATOR": "tests.e2e.test_review.held_for_review"}
    creator, reviewer = make_user("creator", "noor"), make_user("reviewer", "remy")
    job = job_submit(user=creator, prompt="a white circle bounces on a dark background", params={"steps": 4, "seed": 5})
    worker().join()
    job.refresh_from_db()
    assert job.state == JobState.OUTPUT_REVIEW, job.failure_reason

    log_in(reviewer)
    page.goto(f"{live_server.url}/review/")
    item = page.locator("article.review-item")
    expect(item.locator(".badge")).to_have_text("Generated clip")
    frames = item.locator(".frames img")
    assert frames.count() >= 1
    page.wait_for_function("() => [...document.querySelectorAll('.frames img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    expect(item.locator("ul.reasons")).to_contain_text("held for a person to look")
    screenshot("held")

    item.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("approved.")).to_be_visible()
    worker().join()
    job.refresh_from_db()
    assert job.state == JobState.PUBLISHED, job.failure_reason
