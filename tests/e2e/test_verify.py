"""A visitor verifies a sealed clip (authentic) and a re-encoded copy dropped on the page (altered);
an auditor then sees both verifications and an intact ledger on the dashboard."""

import base64
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

import provenance
from studio.models import GenerationJob, JobState
from studio.services import job_submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sealed_clip(make_user, worker) -> Path:
    """One clip through the whole pipeline (the real gate, the built-in model, sealing, the ledger)."""
    job = job_submit(user=make_user("creator", "lena"), prompt="a blue square slides left on a white background",
                     params={"steps": 4, "seed": 11})
    assert job.state == JobState.QUEUED, job.moderation
    worker().join()
    job = GenerationJob.objects.get(pk=job.pk)
    assert job.state == JobState.PUBLISHED, job.failure_reason
    return Path(settings.MEDIA_ROOT) / job.ledger_entry.media_path


def drop_file(page, selector: str, path: Path, mime: str = "video/mp4") -> None:
    """Drag a file from outside the browser onto an element: a drop event carrying it in a DataTransfer."""
    page.evaluate("""([selector, name, mime, b64]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], name, { type: mime }));
        const zone = document.querySelector(selector);
        zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }""", [selector, path.name, mime, base64.b64encode(path.read_bytes()).decode()])


def test_visitor_sees_authentic_then_altered_and_auditor_sees_the_dashboard(page, live_server, sealed_clip, tmp_path,
                                                                            make_user, log_in, screenshot):
    page.goto(f"{live_server.url}/verify")
    page.set_input_files("#file", str(sealed_clip))
    page.get_by_role("button", name="Verify").click()
    card = page.locator("section.result")
    expect(card).to_have_attribute("data-verdict", "authentic", timeout=60_000)
    expect(card.locator("h2")).to_have_text("Made on Clearframe, unchanged")
    expect(page.locator("#upload-progress")).to_have_attribute("value", "100")
    timeline = page.locator("svg.timeline rect")
    assert timeline.count() >= 1
    assert timeline.evaluate_all("rects => rects.every(r => r.classList.contains('on'))")
    expect(page.locator("section.credentials")).to_contain_text("Clearframe (test credentials)")
    expect(page.locator("section.credentials")).to_contain_text("c2pa.created")
    screenshot("authentic")

    # Re-encoded (the frames decoded and compressed again): the manifest is gone, the watermark remains.
    decoded = provenance.decode_video(sealed_clip)
    copy = provenance.encode_video(decoded.frames, decoded.fps, tmp_path / "reencoded.mp4", crf=28)
    drop_file(page, ".dropzone", copy)
    expect(card).to_have_attribute("data-verdict", "altered", timeout=60_000)
    expect(card.locator("h2")).to_have_text("Made on Clearframe, but changed since")
    expect(card.locator("ul.reasons")).to_contain_text("the C2PA manifest was removed")
    expect(page.locator("section.credentials")).to_contain_text("the one recorded when it was sealed")
    expect(page.locator("svg.timeline rect.on").first).to_be_visible()
    screenshot("altered")

    page.goto(f"{live_server.url}/verify")
    page.set_input_files("#file", str(Path(provenance.__file__)))  # not a video at all
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("not a video this service reads")

    page.context.clear_cookies()
    log_in(make_user("auditor", "aud"))
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#ledger-h")).to_have_text("Ledger chain: intact")
    legend = page.locator("ul.legend")
    expect(legend).to_contain_text("authentic: 1")
    expect(legend).to_contain_text("altered: 1")
    expect(page.locator("#sub-h + svg rect.col")).to_have_count(14)
    expect(page.locator(".stat").first).to_contain_text("1")
    screenshot("dashboard")
