"""The Accounts list in the real main window (Qt offscreen) at 10k, 100k and 1M accounts.

For each size a database is built (``_dataset.py``: accounts with a billing contact,
phone, city and a stored card), then a fresh process opens the real window on it and
measures, each from the moment it asks to the moment the rows are in the model and the
view has painted them:

- ``first_rows``: the services attached to the window until its first rows show;
- ``last_row``: scrolling to the bottom until the last account shows;
- ``sort``: clicking the Name header (descending) until the first rows of the new
  order show (the database sorts every row);
- ``filter``: search as you type, from the moment the search runs (after the last
  keystroke and the deliberate debounce, reported on its own) to its rows shown;
  the median over several half-remembered fragments, numbers and phone digits;
- ``rss``: the measuring process's peak resident memory (Qt, the SDK, the sandbox and
  the list together).

The sizes run one after another, so the 10k figures are the baseline the larger ones
are read against. The last line is ``RESULT first_rows_ms_1m=… last_row_ms_1m=…
sort_ms_1m=… filter_ms_1m=… rss_mb_1m=…`` (targets at 1M: 200, 200, 300, 100 ms, 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TIMEOUT_S = 60.0


def _wait(app: object, done: Callable[[], bool]) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    deadline = time.perf_counter() + TIMEOUT_S
    while not done():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)
        if time.perf_counter() > deadline:
            raise TimeoutError("the list did not show in time")
        time.sleep(0.0005)


def _paint_clock(widget: object) -> Callable[[], float]:
    """The time of the widget's latest paint (0 before the first)."""
    from PySide6.QtCore import QEvent, QObject

    last = [0.0]

    class Clock(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                last[0] = time.perf_counter()
            return False

    clock = Clock(widget)  # type: ignore[arg-type]  # owned by the widget
    widget.installEventFilter(clock)  # type: ignore[attr-defined]
    return lambda: last[0]


def _shown(app: object, done: Callable[[], bool], painted: Callable[[], float]) -> float:
    """Wait for ``done`` and the paint that puts it on screen; that paint's time. The
    paint may come in the same turn of the event loop as the rows themselves."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    deadline = time.perf_counter() + TIMEOUT_S
    ready_since: float | None = None
    while True:
        turn = time.perf_counter()
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)
        if ready_since is None and done():
            ready_since = turn
        if ready_since is not None and painted() >= ready_since:
            return painted()
        if time.perf_counter() > deadline:
            raise TimeoutError("the list did not show in time")
        time.sleep(0.0005)


def measure(url: str, fragments: list[str], workdir: Path) -> dict[str, float]:
    """In this process: open the real window on ``url`` and time the list (see above)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from w365desk.app import build_app
    from w365desk.app.window_layout import DesktopWindowLayout
    from w365desk.gui.accounts_page import SEARCH_DELAY_MS
    from w365desk.gui.main_window import MainWindow
    from w365desk.services.accounts.queries import AccountSort

    app = QApplication([])
    context = build_app(url)
    window = MainWindow(DesktopWindowLayout(workdir / "desktop.json"))
    window.window.resize(1200, 800)
    window.show()
    app.processEvents()
    figures: dict[str, float] = {"debounce_ms": float(SEARCH_DELAY_MS)}

    attached: list[bool] = []
    window.attached.connect(lambda: attached.append(True))
    started = time.perf_counter()
    window.attach(context.services, context.actor, context.status)
    page = window.accounts_page
    assert page is not None
    model = page.model
    painted = _paint_clock(page.table.viewport())
    resets = [0]
    model.modelReset.connect(lambda: resets.__setitem__(0, resets[0] + 1))

    def rows_shown_after(reset: int) -> Callable[[], bool]:
        """The list was renewed since ``reset`` and its first row (or "none") shows."""

        def shown() -> bool:
            if resets[0] <= reset:
                return False
            return model.row_at(0) is not None or (not model.loading and model.total == 0)

        return shown

    figures["first_rows_ms"] = (_shown(app, rows_shown_after(0), painted) - started) * 1000
    _wait(app, lambda: bool(attached) and not model.loading and not window.runner.busy())
    figures["total"] = model.total  # the other views have read their first rows too

    started = time.perf_counter()
    page.table.scrollToBottom()
    last = model.total - 1
    shown = _shown(app, lambda: model.row_at(last) is not None, painted)
    figures["last_row_ms"] = (shown - started) * 1000

    _wait(app, lambda: not model.loading)
    started, before = time.perf_counter(), resets[0]
    page.table.horizontalHeader().setSortIndicator(
        model.column_of(AccountSort.NAME), Qt.SortOrder.DescendingOrder
    )
    figures["sort_ms"] = (_shown(app, rows_shown_after(before), painted) - started) * 1000
    page.table.scrollToTop()

    timings = []
    for fragment in fragments:
        page.search_edit.setText(fragment)  # what the last keystroke leaves in the box
        _wait(app, lambda: not model.loading)
        started, before = time.perf_counter(), resets[0]
        page.search_now()  # what the debounce timer runs, without waiting for it
        timings.append((_shown(app, rows_shown_after(before), painted) - started) * 1000)
    figures["filter_ms"] = statistics.median(timings)
    figures["filter_max_ms"] = max(timings)
    page.search_edit.clear()
    window.runner.wait_for_done()
    context.close()
    figures["rss_mb"] = peak_rss_mb()
    return figures


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux from ``VmHWM``: ``ru_maxrss``
    carries over the peak of the process that started this one (the runner, holding
    the freshly built dataset) across ``exec``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fragments(dataset: object, count: int, seed: int) -> list[str]:
    from _dataset import Dataset

    from w365desk.db.search_index import phone_digits

    assert isinstance(dataset, Dataset)
    rng = random.Random(seed)
    found = []
    for index in range(count):
        pick = rng.randrange(dataset.rows)
        kind = index % 3
        if kind == 0:
            word = max(dataset.names[pick].split(), key=len)
            length = min(rng.randint(4, 6), len(word))
            start = rng.randint(0, len(word) - length)
            found.append(word[start : start + length])
        elif kind == 1:
            found.append(dataset.numbers[pick].lower())
        else:
            found.append(phone_digits(dataset.phones[pick])[3:10])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="which of 10k, 100k, 1m")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--measure", nargs=3, metavar=("URL", "FRAGMENTS", "WORKDIR"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.measure:
        url, fragments, workdir = args.measure
        print(json.dumps(measure(url, json.loads(fragments), Path(workdir))))
        return

    from _dataset import build_dataset

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="w365desk-bench-list-") as workdir_name:
        workdir = Path(workdir_name)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", W365DESK_DATA_DIR=str(workdir))
        env.pop("W365DESK_DATABASE_URL", None)
        for label in args.sizes.split(","):
            rows = SIZES[label]
            url = f"sqlite:///{(workdir / f'{label}.sqlite3').as_posix()}"
            dataset = build_dataset(url, rows, seed=21, cards=True)
            dataset.engine.dispose()
            fragments = _fragments(dataset, args.queries, seed=22)
            print(f"{label}: loaded {rows} accounts in {dataset.load_seconds:.1f} s")
            done = subprocess.run(
                [sys.executable, __file__, "--measure", url, json.dumps(fragments), workdir_name],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            results[label] = figures
            print(
                f"{label}: first rows {figures['first_rows_ms']:.0f} ms, last row "
                f"{figures['last_row_ms']:.0f} ms, sort {figures['sort_ms']:.0f} ms, filter "
                f"{figures['filter_ms']:.1f} ms (max {figures['filter_max_ms']:.0f}; plus the "
                f"{figures['debounce_ms']:.0f} ms debounce), peak RSS {figures['rss_mb']:.0f} MB"
            )
            Path(url.removeprefix("sqlite:///")).unlink()
    if "10k" in results and len(results) > 1:
        base = results["10k"]
        for label, figures in results.items():
            if label != "10k":
                print(
                    f"{label} / 10k: "
                    + ", ".join(
                        f"{key.removesuffix('_ms')} x{figures[key] / base[key]:.2f}"
                        for key in ("first_rows_ms", "last_row_ms", "sort_ms", "filter_ms")
                    )
                )
    largest = list(results)[-1]
    figures = results[largest]
    print(
        f"RESULT first_rows_ms_{largest}={figures['first_rows_ms']:.0f} "
        f"last_row_ms_{largest}={figures['last_row_ms']:.0f} "
        f"sort_ms_{largest}={figures['sort_ms']:.0f} "
        f"filter_ms_{largest}={figures['filter_ms']:.1f} rss_mb_{largest}={figures['rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
