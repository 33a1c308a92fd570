"""GUI fixtures: a real app context on a temporary SQLite database, offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from w365desk.app import AppContext, build_app
from w365desk.clock import FrozenClock
from w365desk.gui.main import apply_look
from w365desk.services.actors import Actor


@pytest.fixture(autouse=True)
def _app_look(qapp: QApplication) -> None:
    """Screenshots show the shipped style sheet and icon, as users see them."""
    apply_look(qapp)


@pytest.fixture
def app_context(tmp_path: Path) -> Iterator[AppContext]:
    context = build_app(
        f"sqlite:///{(tmp_path / 'gui.sqlite3').as_posix()}",
        clock=FrozenClock(),
        actor=Actor.staff("gui-tester"),
    )
    yield context
    context.close()
