"""Start-up and shut-down of the desktop app against a bare PySide6 window, in one run.

A database with 100,000 accounts and 100,000 stored cards is built once. Then, taking
turns so the shared machine's noise falls on both alike, a fresh process is started
``--runs`` times for each of:

- ``bare``: Python, PySide6 and a ``QMainWindow`` holding a ``QTableView`` over 100 rows;
- ``app``: ``python -m w365desk`` on that database (offline sandbox, Qt offscreen).

Each child reports the moment its main window is first painted (``CLOCK_MONOTONIC``,
shared by every process on the machine); the parent took the same clock just before
starting it. When the accounts are listed, the child records the moment it asks the
window to close, and the parent the moment the process has exited: that difference is
the close time (everything the app does on the way out, Python's own exit included).

Figures are medians. The last line is
``RESULT startup_ms=… bare_ms=… ratio=… close_ms=…`` (targets: ratio ≤ 2.5,
close ≤ 300 ms); ``filled_ms`` (until the first rows show) and the bare window's close
time are printed above it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _dataset import build_dataset

ROOT = Path(__file__).resolve().parents[1]
# The child: the bare window or the real entry point, with a watcher on the Qt app.
PROBE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

mode = sys.argv[1]
qt_app = QApplication(sys.argv[:1])

class Watcher(QObject):
    painted = False
    closing = False
    def eventFilter(self, watched, event):
        if (not self.painted and event.type() == QEvent.Type.Paint
                and isinstance(watched, QMainWindow)):
            self.painted = True
            print(f"painted {time.monotonic():.6f}", flush=True)
            QTimer.singleShot(0, self.poll)
        return False
    def poll(self):
        window = next(w for w in qt_app.topLevelWidgets() if isinstance(w, QMainWindow))
        table = window.findChild(QTableView)
        model = table.model() if table is not None else None
        if model is not None and model.rowCount() > 0 and model.index(0, 0).data():
            if not self.closing:
                self.closing = True
                print(f"filled {time.monotonic():.6f}", flush=True)
                # Let it settle (background reads finish) before the close request.
                QTimer.singleShot(500, lambda: self.close(window))
            return
        QTimer.singleShot(5, self.poll)
    def close(self, window):
        print(f"closing {time.monotonic():.6f}", flush=True)
        window.close()

watcher = Watcher()
qt_app.installEventFilter(watcher)
if mode == "bare":
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    window = QMainWindow()
    model = QStandardItemModel(100, 8)
    for row in range(100):
        for column in range(8):
            model.setItem(row, column, QStandardItem(f"cell {row}.{column}"))
    table = QTableView()
    table.setModel(model)
    window.setCentralWidget(table)
    window.resize(1100, 700)
    window.show()
    sys.exit(qt_app.exec())
else:
    from w365desk.cli import main
    sys.exit(main([]))
"""


def run_child(mode: str, env: dict[str, str]) -> dict[str, float]:
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", PROBE, mode],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    marks: dict[str, float] = {}
    for line in child.stdout:
        name, _, value = line.strip().partition(" ")
        if name in ("painted", "filled", "closing"):
            marks[name] = float(value)

    child.wait(timeout=120)
    exited = time.monotonic()
    if child.returncode != 0 or set(marks) != {"painted", "filled", "closing"}:
        raise RuntimeError(f"{mode} run failed (exit {child.returncode}, saw {sorted(marks)})")
    return {
        "startup": (marks["painted"] - started) * 1000,
        "filled": (marks["filled"] - started) * 1000,
        "close": (exited - marks["closing"]) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="w365desk-bench-startup-") as workdir_name:
        workdir = Path(workdir_name)
        url = f"sqlite:///{(workdir / 'desk.sqlite3').as_posix()}"
        dataset = build_dataset(url, args.rows, seed=11, cards=True)
        dataset.engine.dispose()
        print(f"loaded {args.rows} accounts and {args.rows} cards in {dataset.load_seconds:.1f} s")
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            W365DESK_DATABASE_URL=url,
            W365DESK_DATA_DIR=str(workdir / "data"),
            XDG_CONFIG_HOME=str(workdir / "config"),
        )
        env.pop("W365DESK_TEST_DATABASE_URL", None)
        run_child("app", env)  # first start: the sandbox's data folder, the OS file cache
        figures: dict[str, list[dict[str, float]]] = {"bare": [], "app": []}
        for _ in range(args.runs):
            for mode in ("bare", "app"):
                figures[mode].append(run_child(mode, env))

    def median(mode: str, key: str) -> float:
        return statistics.median(run[key] for run in figures[mode])

    startup, bare = median("app", "startup"), median("bare", "startup")
    print(
        f"bare window: painted {bare:.0f} ms, closed {median('bare', 'close'):.0f} ms; "
        f"app: painted {startup:.0f} ms, first rows {median('app', 'filled'):.0f} ms, "
        f"closed {median('app', 'close'):.0f} ms (medians of {args.runs})"
    )
    print(
        f"RESULT startup_ms={startup:.0f} bare_ms={bare:.0f} ratio={startup / bare:.2f} "
        f"close_ms={median('app', 'close'):.0f}"
    )


if __name__ == "__main__":
    main()
