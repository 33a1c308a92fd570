"""The composition root picks the gateway the shared settings ask for."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from w365desk.app import build_app
from w365desk.gateway.authorizenet import PRODUCTION_URL, AuthorizeNetGateway
from w365desk.services.actors import Actor
from w365desk.settings import GatewayEnvironment


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'app.sqlite3').as_posix()}"


def test_fresh_desktop_runs_on_the_offline_sandbox(tmp_path: Path) -> None:
    app = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    try:
        connection = app.gateway_connection
        assert connection.environment is GatewayEnvironment.OFFLINE_SANDBOX
        assert connection.ready and app.gateway is not None
        assert connection.sandbox is not None
        assert connection.sandbox.base_url.startswith("http://127.0.0.1:")
        assert "Offline sandbox" in connection.description
        app.gateway.test_credentials()  # real SDK request over loopback
    finally:
        app.close()


def test_second_desktop_on_the_same_data_folder_is_told_why(tmp_path: Path) -> None:
    first = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    try:
        second = build_app(_url(tmp_path), actor=Actor.staff("tester"))
        try:
            assert second.gateway is None
            assert "another w365desk" in second.gateway_connection.description
        finally:
            second.close()
    finally:
        first.close()
    third = build_app(_url(tmp_path), actor=Actor.staff("tester"))  # the first released the sandbox
    try:
        assert third.gateway is not None
    finally:
        third.close()


def test_production_needs_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    settings = dataclasses.replace(
        app.services.shared_settings.load(),
        gateway_environment=GatewayEnvironment.PRODUCTION,
        gateway_api_login_id="5KP3u95bQpv",
        gateway_public_client_key="6gSuV295YD86Mq4d86zEsx8C",
        link_server_public_url="https://pay.reseller.example",
    )
    app.services.shared_settings.save(settings, actor=Actor.staff("tester"))
    app.close()

    monkeypatch.delenv("W365DESK_TRANSACTION_KEY", raising=False)
    unconfigured = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    try:
        assert unconfigured.gateway is None
        assert unconfigured.gateway_connection.sandbox is None
        assert "transaction key" in unconfigured.gateway_connection.description
    finally:
        unconfigured.close()

    monkeypatch.setenv("W365DESK_TRANSACTION_KEY", "4Ktq966gC55GAX7S")
    configured = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    try:
        gateway = configured.gateway
        assert isinstance(gateway, AuthorizeNetGateway)
        assert gateway.endpoint_url == PRODUCTION_URL
        assert configured.gateway_connection.sandbox is None
        assert "4Ktq966gC55GAX7S" not in repr(gateway)
    finally:
        configured.close()


def test_unreadable_sandbox_state_is_reported_not_replaced(tmp_path: Path) -> None:
    from w365desk.locations import data_dir
    from w365desk.sandbox.authorizenet.state import STATE_FILE_NAME

    state_file = data_dir() / "sandbox" / STATE_FILE_NAME
    state_file.parent.mkdir(parents=True)
    state_file.write_text("{not json", encoding="utf-8")
    app = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    try:
        assert app.gateway is None
        assert "state file cannot be read" in app.gateway_connection.description
    finally:
        app.close()
    assert state_file.read_text(encoding="utf-8") == "{not json"


def test_unusable_sandbox_folder_is_reported_not_fatal(tmp_path: Path) -> None:
    from w365desk.locations import data_dir

    (data_dir() / "sandbox").write_text("a file where the sandbox folder should be")
    app = build_app(_url(tmp_path), actor=Actor.staff("tester"))
    try:
        assert app.gateway is None
        assert "cannot be used" in app.gateway_connection.description
    finally:
        app.close()


def test_context_repr_never_shows_a_database_password(
    postgres_server_database: str | None,
) -> None:
    if postgres_server_database is None:
        pytest.skip("W365DESK_TEST_DATABASE_URL is not set")
    # The test server trusts loopback, so these passwords are accepted and ignored.
    with_password = postgres_server_database.replace(
        "postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:hunter2@"
    )
    for url in (with_password, f"{postgres_server_database}?password=hunter2"):
        app = build_app(url, actor=Actor.staff("tester"))
        try:
            assert "hunter2" not in repr(app)
            assert "hunter2" not in app.database_label
        finally:
            app.close()
