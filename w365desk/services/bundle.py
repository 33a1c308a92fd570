"""The use cases a front door is given, built once by the composition root.

Services hold no actor: each call that changes something names who acts, so the same
bundle serves a member of staff at the desk and a customer on the link server.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.services.accounts import (
    AccountEditor,
    AccountImporter,
    AccountQueries,
    ContactEditor,
)
from w365desk.services.shared_settings import SharedSettingsStore


@dataclass(frozen=True)
class Services:
    accounts: AccountEditor
    contacts: ContactEditor
    account_queries: AccountQueries
    importer: AccountImporter
    shared_settings: SharedSettingsStore

    @classmethod
    def build(cls, session_factory: sessionmaker[Session], clock: Clock) -> Services:
        return cls(
            accounts=AccountEditor(session_factory, clock),
            contacts=ContactEditor(session_factory, clock),
            account_queries=AccountQueries(session_factory),
            importer=AccountImporter(session_factory, clock),
            shared_settings=SharedSettingsStore(session_factory, clock),
        )
