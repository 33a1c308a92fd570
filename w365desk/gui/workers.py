"""Run slow work off the GUI thread and deliver the outcome back to it by signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from w365desk.services.errors import ServiceError

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable, Generic[T]):
    def __init__(self, work: Callable[[], T], signals: _Signals) -> None:
        super().__init__()
        self._work = work
        self.signals = signals

    @Slot()
    def run(self) -> None:
        try:
            result = self._work()
        except ServiceError as error:
            # An expected refusal (bad input, a declined card, money in doubt…): every
            # service error, the gateway's included, carries a message to show.
            log.info("background job refused: %s", type(error).__name__)
            self.signals.failed.emit(error)
        except Exception as error:  # a fault: keep the traceback for whoever diagnoses it
            log.error("background job failed", exc_info=error)
            self.signals.failed.emit(error)
        else:
            self.signals.succeeded.emit(result)


class BackgroundRunner(QObject):
    """Owns the signal objects of running jobs so none is collected mid-flight.

    Parent it to the window whose widgets the callbacks touch: once that window is
    destroyed the runner is too, and late results are dropped instead of reaching
    deleted widgets.
    """

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._running: set[_Signals] = set()
        self._stopped = False

    def submit(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], object],
        on_error: Callable[[Exception], object],
    ) -> None:
        """Run ``work`` on the pool; ``on_success(result)`` or ``on_error(error)`` runs
        on the GUI thread afterwards, unless this runner was stopped meanwhile."""
        # Created here, so the signals live on the GUI thread and their slots run there.
        # No Qt parent: this set keeps them alive until the job reports, even if the
        # window that asked is closed meanwhile.
        signals = _Signals()
        self._running.add(signals)

        def finish_ok(result: T) -> None:
            self._running.discard(signals)
            signals.deleteLater()
            if self._delivering():
                on_success(result)

        def finish_error(error: Exception) -> None:
            self._running.discard(signals)
            signals.deleteLater()
            if self._delivering():
                on_error(error)

        signals.succeeded.connect(finish_ok)
        signals.failed.connect(finish_error)
        self._pool.start(_Job(work, signals))

    def _delivering(self) -> bool:
        return not self._stopped and shiboken6.isValid(self)

    def stop(self) -> None:
        """Drop the results of jobs still running: their window is going away.

        The jobs themselves finish (a half-done database write is never abandoned);
        only the callbacks that would touch the closing window's widgets are skipped.
        """
        self._stopped = True

    def busy(self) -> bool:
        return bool(self._running)

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)
