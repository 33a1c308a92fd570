"""Several connections opening a brand-new SQLite file at once all get WAL mode.

The journal-mode switch is not covered by the busy timeout, so without a retry one of
them can fail at start-up with "database is locked".
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from w365desk.db.engine import make_engine

ROUNDS = 25
OPENERS = 6


def test_simultaneous_first_opens_all_succeed_in_wal(tmp_path: Path) -> None:
    failures: list[BaseException] = []
    for round_number in range(ROUNDS):
        url = f"sqlite:///{(tmp_path / f'fresh-{round_number}.sqlite3').as_posix()}"
        start = threading.Barrier(OPENERS)
        modes: list[str] = []

        def open_and_read(
            url: str = url, start: threading.Barrier = start, modes: list[str] = modes
        ) -> None:
            engine = make_engine(url)
            try:
                start.wait()
                with engine.connect() as connection:
                    modes.append(connection.execute(text("PRAGMA journal_mode")).scalar_one())
            except BaseException as error:
                failures.append(error)
            finally:
                engine.dispose()

        threads = [threading.Thread(target=open_and_read) for _ in range(OPENERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        assert modes == ["wal"] * OPENERS
