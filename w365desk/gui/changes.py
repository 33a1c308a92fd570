"""One app-wide "data changed" notification, and the two kinds of background operation.

Modelled on Anki's ``aqt/operations``: a *change* (``Operations.change``) runs a use case
that writes, then tells every open view what kind of data it touched
(``DataChanges.changed``); a *query* (``Operations.query``) only reads. Views refresh
themselves when something they show changed, so no dialog has to know which pages to
refresh, and a change made anywhere shows everywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

from w365desk.gui.workers import BackgroundRunner

T = TypeVar("T")


class Topic(enum.Enum):
    """Kinds of data a change can touch; views say which ones they show."""

    ACCOUNTS = "accounts"
    CONTACTS = "contacts"
    PAYMENT_PROFILES = "payment_profiles"
    SETTINGS = "settings"


@dataclass(frozen=True)
class Change:
    """What one operation changed, and which object asked for it (``None``: nobody)."""

    topics: frozenset[Topic]
    origin: object | None = None

    def touches(self, *topics: Topic) -> bool:
        return not self.topics.isdisjoint(topics)


class DataChanges(QObject):
    """The app-wide notification; every open view connects to ``changed``."""

    changed = Signal(object)  # a Change

    def announce(self, topics: Iterable[Topic], origin: object | None = None) -> None:
        self.changed.emit(Change(frozenset(topics), origin))


class Operations:
    """Runs use cases off the GUI thread, announcing what the writing ones changed."""

    def __init__(self, runner: BackgroundRunner, changes: DataChanges) -> None:
        self.runner = runner
        self.changes = changes

    def change(
        self,
        work: Callable[[], T],
        *,
        touches: Iterable[Topic] | Callable[[T], Iterable[Topic]],
        on_success: Callable[[T], object],
        on_error: Callable[[Exception], object],
        origin: object | None = None,
    ) -> None:
        """Run a use case that writes; on success announce what it touched, then report.

        ``touches`` may depend on the result (an import that refused its file changed
        nothing); an empty set announces nothing.
        """

        def succeeded(result: T) -> None:
            topics = frozenset(touches(result) if callable(touches) else touches)
            if topics:
                self.changes.announce(topics, origin)
            on_success(result)

        self.runner.submit(work, succeeded, on_error)

    def query(
        self,
        work: Callable[[], T],
        *,
        on_success: Callable[[T], object],
        on_error: Callable[[Exception], object],
    ) -> None:
        """Run a use case that only reads."""
        self.runner.submit(work, on_success, on_error)
