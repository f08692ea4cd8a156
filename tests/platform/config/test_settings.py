import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The browser tests allow sync database calls from async contexts in this process; production never does.
    ignored = {"DATABASE_URL", "DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in ignored}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env={**base, **env},
                          capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
    "DATABASE_URL": "postgres://clearframe@db.internal:5432/clearframe",
    "ALLOWED_HOSTS": "clearframe.example.org",
}
# Production signs with real credentials named by the environment; `check` needs the files to exist.
_KEYS = Path(tempfile.mkdtemp(prefix="clearframe-prod-keys-"))
SIGNING = {name: str(_KEYS / file) for name, file in (("CLEARFRAME_SIGNING_CERT_CHAIN", "chain.pem"),
                                                      ("CLEARFRAME_SIGNING_KEY", "key.pem"),
                                                      ("CLEARFRAME_TRUST_ANCHORS", "anchors.pem"))}
for _path in SIGNING.values():
    Path(_path).write_text("-----BEGIN CERTIFICATE-----\n")
PRODUCTION |= SIGNING


def test_production_refuses_to_start_without_its_secrets():
    for missing in ("DJANGO_SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", *SIGNING):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert f"{missing} must be set in production" in result.stderr


def test_production_refuses_signing_paths_that_are_not_files():
    result = run_manage("check", env={**PRODUCTION, "CLEARFRAME_SIGNING_KEY": "/nonexistent/key.pem"})
    assert result.returncode != 0
    assert "CLEARFRAME_SIGNING_KEY names /nonexistent/key.pem, which is not a file" in result.stderr


def test_production_refuses_sqlite():
    result = run_manage("check", env={**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0
    assert "must name a PostgreSQL database" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_quick_start_needs_no_variables(tmp_path):
    result = run_manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.dev"})
    assert result.returncode == 0, result.stderr
