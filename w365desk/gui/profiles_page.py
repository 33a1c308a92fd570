"""The Payment Profiles view: every stored payment method, filtered, sorted, and the actions
on one (Set Default, Sync, Validate, Deactivate after asking).

The same actions serve the account page's own list (``ProfileActions``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from w365desk.gui.changes import Change, Operations, Topic
from w365desk.gui.paged_model import Column, PagedTableModel
from w365desk.gui.prompts import ask, tell, tell_error
from w365desk.gui.uiload import child, load_form
from w365desk.gui.widgets import prepare_table, sorted_by_database
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services
from w365desk.services.payment_profiles import (
    PaymentProfileView,
    ProfileFilter,
    ProfileListQuery,
    ProfileSort,
    ShownStatus,
    ValidationOutcome,
)

COLUMNS: tuple[Column[PaymentProfileView], ...] = (
    Column("Account", lambda p: f"{p.account_number} · {p.account_name}", ProfileSort.ACCOUNT),
    Column("Holder", lambda p: p.holder, ProfileSort.HOLDER),
    Column(
        "Method",
        lambda p: (p.brand or "Card") if p.kind == "card" else "Bank account",
        ProfileSort.METHOD,
    ),
    Column("Last 4", lambda p: p.last4, ProfileSort.LAST4),
    Column("Expiry", lambda p: p.expiry, ProfileSort.EXPIRY),
    Column(
        "Status",
        lambda p: p.status.label + (" (gone at the gateway)" if p.gateway_missing_at else ""),
        ProfileSort.STATUS,
    ),
    Column("Default", lambda p: "Default" if p.is_default else "", ProfileSort.DEFAULT),
    Column("Source", lambda p: p.source_label, ProfileSort.SOURCE),
    Column("Created by", lambda p: p.created_by, ProfileSort.CREATED_BY),
    Column("Created", lambda p: p.created_at.strftime("%Y-%m-%d %H:%M"), ProfileSort.CREATED_AT),
)
FILTERS = (
    ("All", ProfileFilter.ALL),
    ("Active", ProfileFilter.ACTIVE),
    ("Expired", ProfileFilter.EXPIRED),
    ("Pending", ProfileFilter.PENDING),
    ("Inactive", ProfileFilter.INACTIVE),
)


def _sorted(query: ProfileListQuery, key: Any, descending: bool) -> ProfileListQuery:
    return dataclasses.replace(query, sort=key, descending=descending)


class ProfilesTableModel(PagedTableModel[ProfileListQuery, PaymentProfileView]):
    def __init__(
        self, services: Services, operations: Operations, query: ProfileListQuery, parent: Any
    ) -> None:
        queries = services.payment_profile_queries
        super().__init__(
            operations,
            COLUMNS,
            queries.count,
            queries.rows,
            query,
            sorted_by=_sorted,
            dimmed=lambda profile: profile.status is not ShownStatus.ACTIVE,
            parent=parent,
        )


class ProfileActions(QObject):
    """Set Default, Sync, Validate and Deactivate on one stored method, with their messages."""

    def __init__(
        self, root: QWidget, services: Services, actor: Actor, operations: Operations
    ) -> None:
        super().__init__(root)
        self._root = root
        self._services = services
        self._actor = actor
        self._operations = operations
        self.notice: QMessageBox | None = None

    def set_default(self, profile: PaymentProfileView) -> None:
        use_cases, actor = self._services.payment_profiles, self._actor
        self._change(
            lambda: use_cases.set_default(profile.id, actor=actor),
            "The default payment method was not changed",
        )

    def sync(self, profile: PaymentProfileView) -> None:
        use_cases, actor = self._services.payment_profiles, self._actor

        def synced(view: PaymentProfileView) -> None:
            if view.gateway_missing_at is not None:
                self.notice = tell(
                    self._root,
                    "Not at the gateway any more",
                    f"{view.summary} no longer exists at the gateway (it was deleted "
                    "there), so it is now marked inactive here.",
                    warning=True,
                )
            else:
                self.notice = tell(
                    self._root,
                    "Synced",
                    f"{view.summary} is up to date with the gateway.",
                )

        self._change(
            lambda: use_cases.sync(profile.id, actor=actor), "The sync did not finish", synced
        )

    def validate(self, profile: PaymentProfileView) -> None:
        use_cases, actor = self._services.payment_profiles, self._actor

        def validated(outcome: ValidationOutcome) -> None:
            self.notice = tell(
                self._root,
                "Validation passed" if outcome.passed else "Validation failed",
                outcome.message,
                warning=not outcome.passed,
            )

        self._operations.change(
            lambda: use_cases.validate(profile.id, actor=actor),
            touches={Topic.PAYMENT_PROFILES},
            on_success=validated,
            on_error=lambda error: tell_error(self._root, "Validation did not run", error),
        )

    def deactivate(self, profile: PaymentProfileView) -> QMessageBox:
        use_cases, actor = self._services.payment_profiles, self._actor
        self.notice = ask(
            self._root,
            "Deactivate payment method",
            f"Deactivate {profile.summary} of {profile.account_name}?",
            informative=(
                "It is deleted at the gateway, so it can never be charged again; it stays "
                "here, inactive, for the history."
            ),
            yes="Deactivate",
            on_yes=lambda: self._change(
                lambda: use_cases.deactivate(profile.id, actor=actor),
                "The payment method was not deactivated",
            ),
        )
        return self.notice

    def _change(
        self,
        work: Callable[[], Any],
        failure_title: str,
        done: Callable[[Any], object] | None = None,
    ) -> None:
        self._operations.change(
            work,
            touches={Topic.PAYMENT_PROFILES, Topic.ACCOUNTS},
            on_success=done or (lambda _result: None),
            on_error=lambda error: tell_error(self._root, failure_title, error),
        )


class ProfilesPage(QObject):
    """Controller of ``ui/profiles_page.ui`` inside the Payment Profiles tab."""

    open_account_requested = Signal(int)
    loaded = Signal(int)

    def __init__(
        self, tab: QWidget, services: Services, actor: Actor, operations: Operations
    ) -> None:
        super().__init__(tab)
        self._services = services
        form = load_form("profiles_page.ui", tab)
        layout = tab.layout()
        if not isinstance(layout, QVBoxLayout):
            layout = QVBoxLayout(tab)
        layout.addWidget(form)
        self.form = form
        self.status_filter = child(form, QComboBox, "statusFilter")
        for label, value in FILTERS:
            self.status_filter.addItem(label, value)
        self.expiring_check = child(form, QCheckBox, "expiringCheck")
        self.expiring_days = child(form, QSpinBox, "expiringDays")
        self.table = child(form, QTableView, "profilesTable")
        self.label = child(form, QLabel, "profilesLabel")
        self.actions = ProfileActions(form, services, actor, operations)
        self.model = ProfilesTableModel(services, operations, ProfileListQuery(), self)
        prepare_table(
            self.table,
            self.model,
            (240, 150, 120, 60, 70, 150, 70, 110, 110),
            self.context_menu,
        )
        sorted_by_database(
            self.table, self.model.column_of(ProfileSort.CREATED_AT), Qt.SortOrder.DescendingOrder
        )
        self.table.doubleClicked.connect(self._open_index)
        self.table.installEventFilter(self)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.expiring_check.toggled.connect(self._apply_filter)
        self.expiring_days.valueChanged.connect(self._apply_filter)
        buttons: dict[str, Callable[[PaymentProfileView], object]] = {
            "setDefaultButton": self.actions.set_default,
            "syncButton": self.actions.sync,
            "validateButton": self.actions.validate,
            "deactivateButton": self.actions.deactivate,
        }
        for name, act in buttons.items():
            child(form, QPushButton, name).clicked.connect(
                lambda _checked=False, act=act: self._on_selected(act)
            )
        self.model.counted.connect(self._counted)
        operations.changes.changed.connect(self._data_changed)

    def refresh(self) -> None:
        self.label.setText("Loading…")
        self.model.reload()

    def _apply_filter(self) -> None:
        days = self.expiring_days.value() if self.expiring_check.isChecked() else None
        self.model.set_query(
            dataclasses.replace(
                self.model.query,
                status=ProfileFilter(self.status_filter.currentData()),
                expiring_within_days=days,
            )
        )

    def _data_changed(self, change: Change) -> None:
        if change.touches(Topic.PAYMENT_PROFILES, Topic.ACCOUNTS):
            self.model.reload()

    def _counted(self, total: int) -> None:
        if total < 0:
            self.label.setText(f"The list could not be loaded: {self.model.failure}")
        elif total == 0 and self.model.query == ProfileListQuery():
            self.label.setText(
                "No payment methods yet. Open an account and choose Create Payment Profile."
            )
        else:
            self.label.setText(f"{total:,} payment method{'s' if total != 1 else ''}")
        self.loaded.emit(total)

    def selected(self) -> PaymentProfileView | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _on_selected(self, act: Callable[[PaymentProfileView], object]) -> None:
        profile = self.selected()
        if profile is not None:
            act(profile)

    def open_selected_account(self) -> None:
        profile = self.selected()
        if profile is not None:
            self.open_account_requested.emit(profile.account_id)

    def deactivate_selected(self) -> None:
        self._on_selected(self.actions.deactivate)

    def _open_index(self, index: QModelIndex) -> None:
        profile = self.model.row_at(index.row())
        if profile is not None:
            self.open_account_requested.emit(profile.account_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
                self.open_selected_account()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.deactivate_selected()
                return True
        return False

    def context_menu(self) -> QMenu:
        return profile_menu(self.table, self.selected(), self.actions, self.open_selected_account)


def profile_menu(
    parent: QWidget,
    profile: PaymentProfileView | None,
    actions: ProfileActions,
    open_account: Callable[[], object] | None = None,
) -> QMenu:
    """The context menu of a stored payment method (shared by both lists)."""
    menu = QMenu(parent)
    usable = bool(profile and profile.usable)
    entries: list[tuple[str, Callable[[PaymentProfileView], object], bool]] = [
        ("Set Default", actions.set_default, usable and not (profile and profile.is_default)),
        (
            "Sync with Gateway",
            actions.sync,
            bool(profile and profile.status is not ShownStatus.PENDING),
        ),
        ("Validate", actions.validate, usable),
        (
            "Deactivate…\tDel",
            actions.deactivate,
            bool(profile and profile.status is not ShownStatus.INACTIVE),
        ),
    ]
    if open_account is not None:
        opener = QAction("Open Account\tEnter", menu)
        opener.triggered.connect(open_account)
        opener.setEnabled(profile is not None)
        menu.addAction(opener)
        menu.addSeparator()
    for text, act, enabled in entries:
        action = QAction(text, menu)
        action.setEnabled(enabled)
        if profile is not None:
            action.triggered.connect(lambda _checked=False, act=act, p=profile: act(p))
        menu.addAction(action)
    return menu
