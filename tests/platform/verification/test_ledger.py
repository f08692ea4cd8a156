"""The ledger: append-only rows in a hash chain, and verify_ledger catching edits and deletions."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from studio.models import GenerationJob, JobState
from verification.models import LedgerEntry, LedgerTampering
from verification.services import GENESIS_HASH, ledger_append, ledger_verify


def _published_job(user, n):
    return GenerationJob.objects.create(user=user, prompt=f"clip {n}", state=JobState.PUBLISHED)


def _append(user, n):
    return ledger_append(job=_published_job(user, n), payload=f"{n:016x}", manifest_id=f"urn:uuid:m-{n}",
                         sha256=f"{n:064x}", fingerprint={"frames": [f"{n:064x}"]}, manifest={"n": n},
                         media_path=f"videos/{n}.mp4")


@pytest.fixture
def chain(creator):
    return [_append(creator, n) for n in range(1, 6)]


def test_rows_are_chained_in_order(chain):
    assert [e.sequence for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS_HASH
    for previous, entry in zip(chain, chain[1:], strict=False):
        assert entry.prev_hash == previous.entry_hash
    report = ledger_verify()
    assert report.intact and report.rows == 5


def test_rows_cannot_be_changed_or_removed_through_the_application(chain):
    entry = LedgerEntry.objects.get(sequence=2)
    entry.payload = "ffffffffffffffff"
    with pytest.raises(LedgerTampering):
        entry.save()
    with pytest.raises(LedgerTampering):
        entry.delete()
    with pytest.raises(LedgerTampering):
        LedgerEntry.objects.filter(sequence=2).update(payload="0")
    with pytest.raises(LedgerTampering):
        LedgerEntry.objects.all().delete()


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_edit_in_the_database_is_caught(chain, capsys):
    _sql("UPDATE verification_ledgerentry SET sha256 = %s WHERE sequence = %s", ["e" * 64, 3])
    report = ledger_verify()
    assert report.problems == ["row 3: its fields were changed after it was written"]
    with pytest.raises(CommandError, match="ledger tampered with"):
        call_command("verify_ledger")


def test_an_edit_that_recomputes_the_row_hash_breaks_the_next_link(chain):
    entry = LedgerEntry.objects.get(sequence=3)
    entry.sha256 = "e" * 64
    _sql("UPDATE verification_ledgerentry SET sha256 = %s, entry_hash = %s WHERE sequence = 3",
         [entry.sha256, entry.compute_hash()])
    assert ledger_verify().problems == ["row 4: does not link to the row before it"]


def test_a_deleted_row_is_caught(chain):
    _sql("DELETE FROM verification_ledgerentry WHERE sequence = %s", [2])
    problems = ledger_verify().problems
    assert "row 2 to 2 missing (deleted rows)" in problems
    assert "row 3: does not link to the row before it" in problems


def test_rows_removed_from_the_end_are_caught(chain):
    _sql("DELETE FROM verification_ledgerentry WHERE sequence >= %s", [4])
    assert ledger_verify().problems == ["rows 4 to 5 missing from the end of the ledger"]


def test_verify_ledger_reports_an_intact_chain(chain, capsys):
    call_command("verify_ledger")
    assert "ledger intact: 5 rows" in capsys.readouterr().out


def test_auditors_export_the_ledger_and_creators_cannot(chain, auditor, creator, client_for):
    response = client_for(auditor).get("/api/v1/ledger/export")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["sequence"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1]["prev_hash"] == rows[0]["entry_hash"]
    csv = client_for(auditor).get("/api/v1/ledger/export?as=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[0].startswith("sequence,job_id,payload")
    assert len(csv.content.decode().splitlines()) == 6
    assert client_for(auditor).get("/api/v1/ledger/export?as=xml").status_code == 400
    assert client_for(creator).get("/api/v1/ledger/export").status_code == 403
