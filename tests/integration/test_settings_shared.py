"""Shared settings in the database (SQLite and PostgreSQL), their audit trail, and the
guarantee that no secret ever reaches the database file."""

from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from keyring_double import InMemoryKeyring
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.models import AuditEvent, Setting
from w365desk.services.actors import ACTOR_MAX_LENGTH, Actor
from w365desk.services.shared_settings import SharedSettingsStore
from w365desk.settings import (
    DesktopSettings,
    GatewayEnvironment,
    SecretName,
    SecretStore,
    SettingsError,
    SharedSettings,
    SmtpSecurity,
    ValidationMode,
    load_desktop_settings,
    resolve_database_url,
    save_desktop_settings,
    shared_settings_from_text,
    validate_shared_settings,
)
from w365desk.settings.shared import FIELD_NAMES

CUSTOM = SharedSettings(
    company_name="Northwind Resellers Ltd",
    email_from_name="Northwind Billing",
    email_from_address="billing@northwind.example",
    link_lifetime_hours=48,
    profile_request_subject_template="Action needed: payment method for {Account Name}",
    profile_request_body_template=(
        "Dear {Customer Name},\n\nPlease add a card here: {Secure Link}\n"
        "This link expires on {Link Expires}.\n\n\u00a9 Northwind \u2013 Z\u00fcrich"
    ),
    gateway_environment=GatewayEnvironment.SANDBOX,
    gateway_api_login_id="5KP3u95bQpv",
    gateway_public_client_key="5FcB6WrfHGS76gHW3v7btBCE3HuuBuke9Pj96Ztfn5R32G5ep42vne7MCWZtAucY",
    gateway_timeout_seconds=45,
    duplicate_window_seconds=0,
    smtp_host="smtp.northwind.example",
    smtp_port=465,
    smtp_username="billing@northwind.example",
    smtp_security=SmtpSecurity.SSL,
    link_server_public_url="https://pay.northwind.example",
    currency="CAD",
    gateway_validation_mode=ValidationMode.LIVE_MODE,
    link_server_bind_address="0.0.0.0",
    link_server_port=8443,
    link_server_tls_certificate="/etc/w365desk/pay.northwind.example.crt",
    link_server_tls_key="/etc/w365desk/pay.northwind.example.key",
)


@pytest.fixture
def store(session_factory: sessionmaker[Session], clock: FrozenClock) -> SharedSettingsStore:
    return SharedSettingsStore(session_factory, clock)


def setting_rows(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with session_factory() as session:
        return {row.key: row.value for row in session.scalars(select(Setting))}


def audit_events(session_factory: sessionmaker[Session]) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_empty_database_gives_the_defaults(store: SharedSettingsStore) -> None:
    loaded = store.load()
    assert loaded == SharedSettings()
    assert loaded.link_lifetime_hours == 72
    assert loaded.gateway_environment is GatewayEnvironment.OFFLINE_SANDBOX
    assert loaded.duplicate_window_seconds == 120
    assert loaded.gateway_timeout_seconds == 30
    assert loaded.currency == "USD"
    assert loaded.link_lifetime == timedelta(hours=72)


def test_default_template_has_the_link_the_customer_name_and_the_expiry() -> None:
    body = SharedSettings().profile_request_body_template
    assert "{Secure Link}" in body
    assert "{Customer Name}" in body
    assert "expires" in body and "{Link Expires}" in body


def test_every_field_round_trips(
    store: SharedSettingsStore, session_factory: sessionmaker[Session]
) -> None:
    changed = store.save(CUSTOM, actor=Actor.staff("alice"))

    assert store.load() == CUSTOM
    defaults = SharedSettings()
    differing = {name for name in FIELD_NAMES if getattr(CUSTOM, name) != getattr(defaults, name)}
    assert set(changed) == differing == set(FIELD_NAMES)
    assert setting_rows(session_factory)["link_lifetime_hours"] == "48"
    assert setting_rows(session_factory)["gateway_environment"] == "sandbox"


def test_only_changed_keys_are_written(
    store: SharedSettingsStore, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    assert store.save(SharedSettings(), actor=Actor.staff("alice")) == ()
    assert setting_rows(session_factory) == {}
    assert audit_events(session_factory) == []

    first = replace(SharedSettings(), company_name="Northwind", link_lifetime_hours=24)
    assert store.save(first, actor=Actor.staff("alice")) == ("company_name", "link_lifetime_hours")
    assert setting_rows(session_factory) == {
        "company_name": "Northwind",
        "link_lifetime_hours": "24",
    }

    clock.advance(timedelta(minutes=5))
    second = replace(first, link_lifetime_hours=96)
    assert store.save(second, actor=Actor.staff("bob")) == ("link_lifetime_hours",)
    with session_factory() as session:
        stamps = {row.key: row.updated_at for row in session.scalars(select(Setting))}
    assert stamps["company_name"] == clock.now() - timedelta(minutes=5)
    assert stamps["link_lifetime_hours"] == clock.now()

    assert store.save(second, actor=Actor.staff("bob")) == ()
    assert len(audit_events(session_factory)) == 2


def test_a_save_writes_one_audit_event_naming_the_keys(
    store: SharedSettingsStore, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    store.save(CUSTOM, actor=Actor.staff("alice"))

    [event] = audit_events(session_factory)
    assert event.action == "settings.updated"
    assert event.actor == "alice"
    assert event.entity_type == "setting" and event.entity_id is None
    assert event.occurred_at == clock.now()
    details = json.loads(event.details or "")
    assert details["changed_keys"] == sorted(details["changed_keys"])
    assert "profile_request_body_template" in details["changed_keys"]
    assert details["values"]["gateway_environment"] == {"from": "offline_sandbox", "to": "sandbox"}
    assert details["values"]["link_lifetime_hours"] == {"from": "72", "to": "48"}
    # Free text is named, not copied, into the audit trail.
    assert "Northwind" not in (event.details or "")
    assert "5KP3u95bQpv" not in (event.details or "")


def test_settings_and_audit_commit_together_or_not_at_all(
    store: SharedSettingsStore, session_factory: sessionmaker[Session]
) -> None:
    written_before_commit: list[tuple[int, int]] = []

    def crash_before_commit(session: Session) -> None:
        session.flush()
        written_before_commit.append(
            (
                int(session.scalar(select(func.count()).select_from(Setting)) or 0),
                int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
            )
        )
        raise RuntimeError("simulated crash before commit")

    event.listen(session_factory, "before_commit", crash_before_commit)
    try:
        with pytest.raises(RuntimeError):
            store.save(CUSTOM, actor=Actor.staff("alice"))
    finally:
        event.remove(session_factory, "before_commit", crash_before_commit)

    # Inside the transaction every row and the audit event were written...
    assert written_before_commit == [(len(FIELD_NAMES), 1)]
    # ...and after the failure neither survived.
    assert setting_rows(session_factory) == {}
    assert audit_events(session_factory) == []
    assert store.load() == SharedSettings()


def test_invalid_settings_are_refused_with_every_problem_and_nothing_written(
    store: SharedSettingsStore, session_factory: sessionmaker[Session]
) -> None:
    bad = replace(
        CUSTOM,
        email_from_address="billing at northwind",
        link_lifetime_hours=721,
        duplicate_window_seconds=28_801,
        profile_request_body_template="Dear {Customer Name}, please call us.",
        currency="cad",
    )
    with pytest.raises(SettingsError) as refused:
        store.save(bad, actor=Actor.staff("alice"))

    problems = refused.value.problems
    assert set(problems) == {
        "email_from_address",
        "link_lifetime_hours",
        "duplicate_window_seconds",
        "profile_request_body_template",
        "currency",
    }
    assert "Email From address" in problems["email_from_address"]
    assert "billing at northwind" in problems["email_from_address"]
    assert "1 to 720" in problems["link_lifetime_hours"]
    assert "0 to 28800" in problems["duplicate_window_seconds"]
    assert "{Secure Link}" in problems["profile_request_body_template"]
    assert "Secure link lifetime (hours)" in str(refused.value)
    assert setting_rows(session_factory) == {}
    assert audit_events(session_factory) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"link_lifetime_hours": 0}, "link_lifetime_hours", "from 1 to 720"),
        ({"link_lifetime_hours": True}, "link_lifetime_hours", "whole number"),
        ({"gateway_timeout_seconds": 0}, "gateway_timeout_seconds", "from 1 to 300"),
        ({"duplicate_window_seconds": -1}, "duplicate_window_seconds", "from 0 to 28800"),
        ({"smtp_port": 70000}, "smtp_port", "from 1 to 65535"),
        ({"email_from_address": "a@b"}, "email_from_address", "not a valid email"),
        ({"email_from_address": "Bob <b@x.com>"}, "email_from_address", "not a valid email"),
        ({"email_from_name": "Billing\r\nBcc: x@y.z"}, "email_from_name", "single line"),
        ({"smtp_host": "smtp://mail.example.com"}, "smtp_host", "no smtp://"),
        ({"smtp_host": "mail example.com"}, "smtp_host", "not a valid host"),
        ({"smtp_security": "tls"}, "smtp_security", "starttls, ssl, none"),
        ({"gateway_environment": "live"}, "gateway_environment", "offline_sandbox"),
        ({"gateway_api_login_id": "has space"}, "gateway_api_login_id", "letters and digits"),
        ({"gateway_api_login_id": ""}, "gateway_api_login_id", "required for the sandbox"),
        ({"link_server_public_url": "pay.example.com"}, "link_server_public_url", "web address"),
        (
            {"link_server_public_url": "https://pay.example.com/?x=1"},
            "link_server_public_url",
            "'?'",
        ),
        (
            {
                "gateway_environment": GatewayEnvironment.PRODUCTION,
                "link_server_public_url": "http://pay.example.com",
            },
            "link_server_public_url",
            "https://",
        ),
        (
            {"profile_request_subject_template": "Hi {Customer name}"},
            "profile_request_subject_template",
            "unknown placeholder(s) {Customer name}",
        ),
        ({"company_name": "x" * 201}, "company_name", "too long"),
        ({"currency": "US"}, "currency", "three-letter"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str, words: str) -> None:
    from w365desk.settings import shared_settings_problems

    problems = shared_settings_problems(replace(CUSTOM, **changes))  # type: ignore[arg-type]
    assert field in problems, problems
    assert words in problems[field]


def test_unknown_rows_are_kept_and_ignored(
    store: SharedSettingsStore, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    with session_factory.begin() as session:
        session.add(Setting(key="feature_from_v2", value="on", updated_at=clock.now()))

    assert store.load() == SharedSettings()
    store.save(CUSTOM, actor=Actor.staff("alice"))

    assert setting_rows(session_factory)["feature_from_v2"] == "on"
    assert store.load() == CUSTOM


def test_an_unusable_stored_value_falls_back_to_its_default_alone(
    store: SharedSettingsStore,
    session_factory: sessionmaker[Session],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.save(CUSTOM, actor=Actor.staff("alice"))
    with session_factory.begin() as session:
        session.get(Setting, "link_lifetime_hours").value = "a week"  # type: ignore[union-attr]
        session.get(Setting, "smtp_port").value = "0"  # type: ignore[union-attr]
        session.get(Setting, "gateway_environment").value = "moon"  # type: ignore[union-attr]

    with caplog.at_level(logging.WARNING, logger="w365desk.settings"):
        loaded = store.load()

    assert loaded == replace(
        CUSTOM,
        link_lifetime_hours=72,
        smtp_port=587,
        gateway_environment=GatewayEnvironment.OFFLINE_SANDBOX,
    )
    for key in ("link_lifetime_hours", "smtp_port", "gateway_environment"):
        assert key in caplog.text


def test_saving_from_a_base_keeps_another_desks_change(
    session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    desk_a = SharedSettingsStore(session_factory, clock)
    desk_b = SharedSettingsStore(session_factory, clock)
    seen_by_a = desk_a.load()
    seen_by_b = desk_b.load()

    desk_a.save(
        replace(seen_by_a, company_name="Northwind"), actor=Actor.staff("alice"), base=seen_by_a
    )
    changed = desk_b.save(
        replace(seen_by_b, smtp_host="mail.example"), actor=Actor.staff("bob"), base=seen_by_b
    )

    assert changed == ("smtp_host",)
    assert desk_a.load() == replace(
        SharedSettings(), company_name="Northwind", smtp_host="mail.example"
    )


def test_the_actor_is_required_and_stored_like_every_audit_actor(
    store: SharedSettingsStore, session_factory: sessionmaker[Session]
) -> None:
    with pytest.raises(ValueError, match="acting user's name"):
        store.save(CUSTOM, actor=Actor.staff("  "))
    assert setting_rows(session_factory) == {}

    store.save(replace(CUSTOM, company_name="One"), actor=Actor.staff("  alice  "))
    store.save(
        replace(CUSTOM, company_name="Two"), actor=Actor.staff("b" * (ACTOR_MAX_LENGTH + 30))
    )
    assert [event.actor for event in audit_events(session_factory)] == [
        "alice",
        "b" * ACTOR_MAX_LENGTH,
    ]


@pytest.mark.parametrize("bobs_hours", [48, 24], ids=["different-values", "same-value"])
def test_two_desks_storing_the_same_new_key_at_once_both_succeed(
    engine: Engine,
    session_factory: sessionmaker[Session],
    clock: FrozenClock,
    bobs_hours: int,
) -> None:
    """Neither desk has ever stored link_lifetime_hours; both save it at the same moment.

    Desk B reads the (missing) row, then desk A saves. On PostgreSQL, A's insert and
    commit go through while B's transaction is open (B holds no lock on a row that does
    not exist), so B then inserts a key A has just taken. On SQLite B's transaction keeps
    A waiting for the write lock (or, without one, B's insert waits for A's commit).
    Either way both saves succeed and the audit trail tells one consistent story.
    """
    never_stored = SharedSettings()
    desk_a = SharedSettingsStore(session_factory, clock)
    desk_b = SharedSettingsStore(session_factory, clock)
    desk_b_thread = threading.current_thread()
    desk_a_threads: list[threading.Thread] = []
    desk_a_failures: list[BaseException] = []

    def desk_a_saves() -> None:
        try:
            desk_a.save(
                replace(never_stored, link_lifetime_hours=24),
                actor=Actor.staff("alice"),
                base=never_stored,
            )
        except BaseException as failure:  # reported by the assertions below
            desk_a_failures.append(failure)

    def desk_a_saves_after_desk_b_read(
        _connection: object, _cursor: object, statement: str, *_args: object
    ) -> None:
        is_desk_b_reading_settings = (
            threading.current_thread() is desk_b_thread
            and statement.lstrip().upper().startswith("SELECT")
            and "FROM setting" in statement
        )
        if desk_a_threads or not is_desk_b_reading_settings:
            return
        thread = threading.Thread(target=desk_a_saves)
        desk_a_threads.append(thread)
        thread.start()
        if engine.dialect.name == "postgresql":
            thread.join()

    event.listen(engine, "after_cursor_execute", desk_a_saves_after_desk_b_read)
    try:
        changed = desk_b.save(
            replace(never_stored, link_lifetime_hours=bobs_hours),
            actor=Actor.staff("bob"),
            base=never_stored,
        )
    finally:
        event.remove(engine, "after_cursor_execute", desk_a_saves_after_desk_b_read)
        for thread in desk_a_threads:
            thread.join()

    assert len(desk_a_threads) == 1 and desk_a_failures == []
    stored = setting_rows(session_factory)["link_lifetime_hours"]
    assert stored in {"24", str(bobs_hours)}
    history = [
        (event.actor, json.loads(event.details or "")["values"]["link_lifetime_hours"])
        for event in audit_events(session_factory)
    ]
    # Every event starts from what the one before it stored, and the last one is what
    # is stored now: no change was lost or reported from a value that was never there.
    assert history[0][1]["from"] == "72"
    for (_, earlier), (_, later) in itertools.pairwise(history):
        assert later["from"] == earlier["to"]
    assert history[-1][1]["to"] == stored
    if bobs_hours == 24:
        assert len(history) == 1  # the second desk found its value already there
    else:
        assert {actor for actor, _ in history} == {"alice", "bob"}
        assert changed == ("link_lifetime_hours",)
    if engine.dialect.name == "postgresql":
        # The overlap really happened: A committed inside B's transaction.
        assert history[0][0] == "alice"
        assert stored == str(bobs_hours)


def test_text_from_a_form_is_parsed_with_specific_messages() -> None:
    parsed = shared_settings_from_text(
        {"link_lifetime_hours": " 24 ", "smtp_security": "none", "company_name": "Acme"}
    )
    assert parsed == replace(
        SharedSettings(),
        link_lifetime_hours=24,
        smtp_security=SmtpSecurity.NONE,
        company_name="Acme",
    )

    with pytest.raises(SettingsError) as refused:
        shared_settings_from_text(
            {"link_lifetime_hours": "3 days", "smtp_security": "tls", "colour": "red"}
        )
    assert refused.value.problems == {
        "link_lifetime_hours": "Secure link lifetime (hours) must be a whole number.",
        "smtp_security": "SMTP security must be one of: starttls, ssl, none.",
        "colour": "There is no shared setting called 'colour'.",
    }


def test_no_secret_reaches_the_database_file_the_desktop_file_or_the_log(
    tmp_path: Path,
    memory_keyring: InMemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = tmp_path / "secrets-check.sqlite3"
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    from w365desk.db.migrate import upgrade

    upgrade(engine)
    secrets = {
        SecretName.GATEWAY_TRANSACTION_KEY: "7bK3xT9qR2mW8pZa",
        SecretName.GATEWAY_SIGNATURE_KEY: "C0FFEE" * 21 + "BA",
        SecretName.SMTP_PASSWORD: "smtp-Pa55word-0xDEAD",
        SecretName.DATABASE_PASSWORD: "db-Pa55word-0xBEEF",
    }
    caplog.set_level(logging.DEBUG)
    store = SecretStore()
    for name, value in secrets.items():
        store.set(name, value + "\n")
    assert {name: store.get(name) for name in secrets} == secrets

    try:
        SharedSettingsStore(make_session_factory(engine), FrozenClock()).save(
            CUSTOM, actor=Actor.staff("alice")
        )
        desktop = DesktopSettings(database_url="postgresql+psycopg://desk@db.internal/w365desk")
        save_desktop_settings(desktop)
        resolved = resolve_database_url(load_desktop_settings())
        assert secrets[SecretName.DATABASE_PASSWORD] in resolved
        # Read while the engine is open, so the write-ahead log is still there to read.
        wal = database.with_name(database.name + "-wal")
        assert wal.exists()
        while_open = database.read_bytes() + wal.read_bytes()
    finally:
        engine.dispose()

    after_close = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    # The scan does see the data: shared values are there in plain text.
    assert b"Northwind Resellers Ltd" in while_open
    assert b"Northwind Resellers Ltd" in after_close
    assert b"db.internal" in after_close  # desktop.json is among the files read
    captured = caplog.text + repr(load_desktop_settings()) + repr(store) + repr(CUSTOM)
    for value in secrets.values():
        for encoded in (value.encode(), value.encode("utf-16-le")):
            assert encoded not in while_open
            assert encoded not in after_close
        assert value not in captured


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"link_server_bind_address": ""}, "link_server_bind_address", "address to listen on"),
        ({"link_server_bind_address": "not an address"}, "link_server_bind_address", "listen"),
        ({"link_server_port": 0}, "link_server_port", "from 1 to 65535"),
        (
            {"link_server_tls_certificate": "/etc/pay.crt"},
            "link_server_tls_key",
            "certificate and its private key",
        ),
        (
            {"link_server_tls_key": "/etc/pay.key"},
            "link_server_tls_certificate",
            "certificate and its private key",
        ),
    ],
)
def test_link_server_settings_are_checked(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(SettingsError) as raised:
        validate_shared_settings(replace(SharedSettings(), **changes))
    assert words in raised.value.problems[field]


def test_the_validation_mode_reads_as_authorize_net_names_it() -> None:
    settings = shared_settings_from_text({"gateway_validation_mode": "liveMode"})
    assert settings.gateway_validation_mode is ValidationMode.LIVE_MODE
    with pytest.raises(SettingsError) as raised:
        shared_settings_from_text({"gateway_validation_mode": "strict"})
    assert "none, testMode, liveMode" in raised.value.problems["gateway_validation_mode"]
