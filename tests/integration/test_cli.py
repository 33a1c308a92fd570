"""The command line as staff and administrators run it: a real process each time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from w365desk import __version__
from w365desk.db.engine import make_engine
from w365desk.db.migrate import current_revision, head_revision


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, W365DESK_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    env.pop("W365DESK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "w365desk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    done = _run(["--version"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"w365desk {__version__}"


def test_db_upgrade_creates_the_embedded_database(tmp_path: Path) -> None:
    done = _run(["db", "upgrade"], tmp_path)
    assert done.returncode == 0, done.stderr
    database = tmp_path / "w365desk.sqlite3"
    assert database.exists()
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert head_revision() in done.stdout


def test_demo_seeds_once_then_refuses_without_force(tmp_path: Path) -> None:
    first = _run(["demo", "--accounts", "5"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "seeded 5 demo accounts" in first.stdout

    again = _run(["demo"], tmp_path)
    assert again.returncode == 1
    assert "already has 5 accounts" in again.stderr
    assert "w365desk demo --force" in again.stderr

    forced = _run(["demo", "--force", "--accounts", "2"], tmp_path)
    assert forced.returncode == 0, forced.stderr


def test_demo_help_states_its_limits(tmp_path: Path) -> None:
    done = _run(["demo", "--help"], tmp_path)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "Limits: only into an empty database unless --force" in text
    assert "10,000 accounts per run" in text and "nothing is charged" in text
    # Asking for more than the limit is refused with the same number.
    refused = _run(["demo", "--accounts", "10001"], tmp_path)
    assert refused.returncode == 1 and "between 1 and 10000" in refused.stderr


def test_self_test_opens_the_app_and_lists_accounts(tmp_path: Path) -> None:
    assert _run(["demo", "--accounts", "4"], tmp_path).returncode == 0
    done = _run(["--self-test"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test ok: 4 account(s) listed" in done.stdout
    assert "Offline sandbox at http://127.0.0.1:" in done.stdout


def test_db_upgrade_never_prints_a_password(
    tmp_path: Path, postgres_server_database: str | None
) -> None:
    if postgres_server_database is None:
        pytest.skip("W365DESK_TEST_DATABASE_URL is not set")
    # The test server trusts loopback, so the password is accepted and ignored.
    env = dict(os.environ, W365DESK_DATA_DIR=str(tmp_path))
    for url in (
        postgres_server_database.replace(
            "postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:hunter2@"
        ),
        f"{postgres_server_database}?password=hunter2",
    ):
        env["W365DESK_DATABASE_URL"] = url
        done = subprocess.run(
            [sys.executable, "-m", "w365desk", "db", "upgrade"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "hunter2" not in done.stdout + done.stderr
