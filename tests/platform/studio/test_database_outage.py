"""A PostgreSQL outage while a worker runs jobs: the worker survives, reconnects and finishes every job exactly
once. The outage is real at the network level: the worker reaches PostgreSQL through a TCP relay that the test
cuts (every open connection reset) and restores, so the shared server itself is never restarted."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[3]
POSTGRES = ("127.0.0.1", 5432)
DATABASE = "clearframe_outage_test"


class Relay:
    """Forwards a local port to PostgreSQL; cut() drops the listener and every connection, restore() listens again."""

    def __init__(self) -> None:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(POSTGRES)
            with self.lock:
                self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    # close() alone does not wake a pump blocked in recv() on this socket, and the kernel socket
                    # then stays open: the worker would wait forever on a connection that was meant to drop.
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets.clear()


def _admin(sql: str) -> None:
    with psycopg.connect(f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _query(sql: str):
    with psycopg.connect(f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{DATABASE}") as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def relay():
    _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DATABASE}"')
    relay = Relay()
    relay.restore()
    yield relay
    relay.cut()
    _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def test_a_worker_survives_a_database_outage_and_finishes_every_job_once(relay, tmp_path):
    log = tmp_path / "pipeline.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:{relay.port}/{DATABASE}",
           "CLEARFRAME_PIPELINE": "tests.platform.studio.pipelines.succeeding",
           "CLEARFRAME_PROMPT_MODERATOR": "tests.platform.conftest.keyword_moderator",
           "CLEARFRAME_TEST_PIPELINE_LOG": str(log), "CLEARFRAME_TEST_PIPELINE_SLEEP": "1.5",
           "CLEARFRAME_MEDIA_ROOT": str(tmp_path / "media"),
           "CLEARFRAME_JOB_LEASE_SECONDS": "3", "CLEARFRAME_REAPER_INTERVAL_SECONDS": "0.5"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "shell", "-c",
                    "from accounts.services import user_create; from studio.services import job_submit; "
                    "u = user_create(username='outage', password='correct horse battery'); "
                    "[job_submit(user=u, prompt=f'a blue disc {i}') for i in range(4)]"],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    worker = subprocess.Popen([*manage, "worker", "--worker-id", "survivor", "--interval", "0.2",
                               "--no-startup-delay", "--no-reload", "-v", "0"],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "start" in log.read_text()):
            assert time.monotonic() < deadline, "the worker never started a job"
            time.sleep(0.1)
        relay.cut()  # the database disappears in the middle of a job
        time.sleep(5)
        assert worker.poll() is None, "the worker died with the database"
        relay.restore()
        deadline = time.monotonic() + 120
        while Counter(s for (s,) in _query("SELECT state FROM studio_generationjob")) != {"published": 4}:
            assert time.monotonic() < deadline, _query("SELECT state, attempts FROM studio_generationjob")
            time.sleep(0.5)
        assert worker.poll() is None
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:  # a stuck worker must not outlive the test
            worker.kill()
            output = worker.communicate()[0]
    assert "database unavailable" in output or "re-queued" in output or "requeued" in output, output[-2000:]
    done = Counter(line.split()[1] for line in log.read_text().splitlines() if line.startswith("done"))
    assert len(done) == 4 and set(done.values()) == {1}
    assert _query("SELECT count(*) FROM verification_ledgerentry") == [(4,)]
