"""Review queue and appeals: prompts in review, decisions, strikes, one appeal per job, who sees what."""

import pytest

from accounts.models import Strike
from review.models import AuditEvent, ReviewItem, ReviewKind, ReviewState
from studio.models import GenerationJob, JobState


def _submit(client, prompt):
    response = client.post("/api/v1/generations", {"prompt": prompt}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _queue(client, **params):
    response = client.get("/api/v1/reviews", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_prompt_in_review_waits_for_a_reviewer(creator, reviewer, client_for):
    job = _submit(client_for(creator), "a street fight [review]")
    assert job["state"] == JobState.IN_REVIEW
    (item,) = _queue(client_for(reviewer))
    assert (item["kind"], item["job"], item["prompt"]) == ("prompt", job["id"], "a street fight [review]")
    assert item["categories"] == {"violence": 0.6}
    assert "payload" not in item and "ledger" not in str(item)

    response = client_for(reviewer).post(f"/api/v1/reviews/{item['id']}/decide", {"decision": "approve"},
                                          format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ReviewState.APPROVED
    assert GenerationJob.objects.get(pk=job["id"]).state == JobState.QUEUED
    assert AuditEvent.objects.filter(action="review.prompt_approved", target_id=job["id"]).exists()
    assert _queue(client_for(reviewer)) == []


def test_a_rejection_needs_a_reason_and_counts_as_a_strike(creator, reviewer, client_for):
    job = _submit(client_for(creator), "a riot [review]")
    (item,) = _queue(client_for(reviewer))
    url = f"/api/v1/reviews/{item['id']}/decide"
    missing = client_for(reviewer).post(url, {"decision": "reject"}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["error"]["message"]
    response = client_for(reviewer).post(url, {"decision": "reject", "reason": "glorifies violence"}, format="json")
    assert response.status_code == 200
    rejected = GenerationJob.objects.get(pk=job["id"])
    assert (rejected.state, rejected.failure_reason) == (JobState.REJECTED, "glorifies violence")
    assert Strike.objects.filter(user=creator, job=rejected).count() == 1
    again = client_for(reviewer).post(url, {"decision": "approve"}, format="json")
    assert again.status_code == 409


def test_bad_decisions_are_refused(creator, reviewer, client_for):
    _submit(client_for(creator), "a fight [review]")
    (item,) = _queue(client_for(reviewer))
    url = f"/api/v1/reviews/{item['id']}/decide"
    assert client_for(reviewer).post(url, {"decision": "maybe"}, format="json").status_code == 400
    assert client_for(reviewer).post(url, {"decision": "approve", "extra": 1}, format="json").status_code == 400
    assert client_for(reviewer).post("/api/v1/reviews/999999/decide", {"decision": "approve"},
                                     format="json").status_code == 404
    assert client_for(reviewer).get("/api/v1/reviews", {"kind": "video"}).status_code == 400


def test_only_reviewers_see_the_queue_and_never_their_own_jobs(creator, reviewer, auditor, client_for):
    _submit(client_for(reviewer), "my own fight scene [review]")
    assert _queue(client_for(reviewer)) == []
    for user in (creator, auditor):
        assert client_for(user).get("/api/v1/reviews").status_code == 403
    item = ReviewItem.objects.get()
    response = client_for(reviewer).post(f"/api/v1/reviews/{item.pk}/decide", {"decision": "approve"},
                                         format="json")
    assert response.status_code == 404


def test_a_block_can_be_appealed_once_and_an_upheld_appeal_withdraws_the_strike(creator, reviewer, client_for):
    job = _submit(client_for(creator), "a dramatic sword duel [block]")
    assert job["state"] == JobState.REJECTED
    assert Strike.objects.filter(user=creator).count() == 1
    url = f"/api/v1/generations/{job['id']}/appeal"
    assert client_for(creator).post(url, {"message": ""}, format="json").status_code == 400
    response = client_for(creator).post(url, {"message": "it is a fencing film"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == ReviewKind.APPEAL
    second = client_for(creator).post(url, {"message": "please"}, format="json")
    assert second.status_code == 409
    assert "once" in second.json()["error"]["message"]

    (item,) = _queue(client_for(reviewer), kind="appeal")
    assert item["message"] == "it is a fencing film"
    client_for(reviewer).post(f"/api/v1/reviews/{item['id']}/decide", {"decision": "approve"}, format="json")
    assert GenerationJob.objects.get(pk=job["id"]).state == JobState.QUEUED
    assert Strike.objects.filter(user=creator).count() == 0
    assert AuditEvent.objects.filter(action="account.strike_withdrawn").count() == 1


def test_appeals_are_refused_for_other_users_jobs_jobs_not_rejected_and_severe_blocks(creator, creator_b,
                                                                                     client_for):
    queued = _submit(client_for(creator), "a lake at dawn")
    assert client_for(creator).post(f"/api/v1/generations/{queued['id']}/appeal", {"message": "x"},
                                    format="json").status_code == 409
    blocked = _submit(client_for(creator), "something [block]")
    assert client_for(creator_b).post(f"/api/v1/generations/{blocked['id']}/appeal", {"message": "x"},
                                      format="json").status_code == 404
    job = GenerationJob.objects.get(pk=blocked["id"])
    GenerationJob.objects.filter(pk=job.pk).update(
        moderation={**job.moderation, "reasons": ["severe: sexual/minors is blocked outright"]})
    response = client_for(creator).post(f"/api/v1/generations/{blocked['id']}/appeal", {"message": "x"},
                                        format="json")
    assert response.status_code == 409
    assert "severe" in response.json()["error"]["message"]


@pytest.mark.parametrize("role", ["creator", "auditor"])
def test_review_frames_are_for_reviewers_only(make_user, role, client):
    user = make_user(role)
    client.force_login(user)
    assert client.get("/review/items/1/frames/0").status_code in (302, 404)


def test_a_rerun_job_can_be_held_again_but_appealed_only_once(creator):
    from django.db import IntegrityError, transaction

    job = GenerationJob.objects.create(user=creator, prompt="a bouncing ball", state=JobState.OUTPUT_REVIEW)
    for _ in range(2):  # held, rejected, appealed, re-run and held again
        ReviewItem.objects.create(kind=ReviewKind.OUTPUT, job=job)
    ReviewItem.objects.create(kind=ReviewKind.APPEAL, job=job, message="please")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewItem.objects.create(kind=ReviewKind.APPEAL, job=job, message="again")
