"""The Settings use cases: read and save the shared settings with their secrets, test the
gateway keys, send a test mail.

Secrets never travel to a front door: it learns only whether each one is set (and
where), and hands new values in; they go to the OS keyring, never to the database. A
saved change to the gateway settings is put to use at once (``apply_gateway``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from w365desk.mail import MailDeliveryError, OutgoingMail, SmtpConfig, send_mail
from w365desk.mail.smtp import Security
from w365desk.services.actors import Actor
from w365desk.services.errors import FieldProblem, ServiceError, ValidationError
from w365desk.services.gateway_errors import gateway_errors
from w365desk.services.shared_settings.store import SharedSettingsStore
from w365desk.settings import (
    SecretName,
    SecretSource,
    SecretStorageUnavailable,
    SecretStore,
    SettingsError,
    SharedSettings,
    SmtpSecurity,
    validate_shared_settings,
    validated_secret,
)

# The fields whose change means the gateway in use must be set up again.
GATEWAY_FIELDS = frozenset(
    {"gateway_environment", "gateway_api_login_id", "gateway_timeout_seconds"}
)
GATEWAY_SECRETS = frozenset({SecretName.GATEWAY_TRANSACTION_KEY})
EDITABLE_SECRETS = (
    SecretName.GATEWAY_TRANSACTION_KEY,
    SecretName.GATEWAY_SIGNATURE_KEY,
    SecretName.SMTP_PASSWORD,
)
SECRET_LABELS = {
    SecretName.GATEWAY_TRANSACTION_KEY: "Transaction key",
    SecretName.GATEWAY_SIGNATURE_KEY: "Signature key",
    SecretName.SMTP_PASSWORD: "SMTP password",
}

# (settings to test, transaction key) -> None, or a GatewayError saying what is wrong.
GatewayTester = Callable[[SharedSettings, str], None]
MailSender = Callable[[SmtpConfig, OutgoingMail], None]


_SMTP_SECURITY: dict[SmtpSecurity, Security] = {
    SmtpSecurity.STARTTLS: "starttls",
    SmtpSecurity.SSL: "ssl",
    SmtpSecurity.NONE: "none",
}


class MailTestFailed(ServiceError):
    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class SettingsSnapshot:
    """What a Settings page shows: the shared values and, per secret, whether it is set."""

    shared: SharedSettings
    secret_sources: Mapping[SecretName, SecretSource]
    keyring: str

    def secret_is_set(self, name: SecretName) -> bool:
        return self.secret_sources[name] is not SecretSource.MISSING


class SettingsEditor:
    def __init__(
        self,
        store: SharedSettingsStore,
        secrets: SecretStore,
        *,
        test_gateway: GatewayTester,
        apply_gateway: Callable[[], str],
        send: MailSender = send_mail,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._test_gateway = test_gateway
        self._apply_gateway = apply_gateway
        self._send = send

    def load(self) -> SettingsSnapshot:
        return SettingsSnapshot(
            self._store.load(),
            {name: self._secrets.source(name) for name in EDITABLE_SECRETS},
            self._secrets.backend_description(),
        )

    def save(
        self,
        new: SharedSettings,
        *,
        secrets: Mapping[SecretName, str | None],
        base: SharedSettings,
        actor: Actor,
    ) -> str | None:
        """Store ``new`` (only what changed since ``base``) and each secret given (an empty
        string removes it). Returns the gateway's new description when the change means
        the gateway in use was set up again, else None.

        Refuses with ``ValidationError`` naming every bad field; a keyring that cannot
        store a secret is said with the environment variable to use instead.
        """
        problems = _problems(new)
        to_store: dict[SecretName, str] = {}
        for name, value in secrets.items():
            if value is None or not value.strip():
                continue
            try:
                to_store[name] = validated_secret(name, value)
            except SettingsError as error:
                problems += [FieldProblem(field, text) for field, text in error.problems.items()]
        if problems:
            raise ValidationError.from_problems(problems)
        changed_secrets: list[SecretName] = []
        try:
            for name, value in secrets.items():
                if value is None:
                    continue
                if name in to_store:
                    self._secrets.set(name, to_store[name])
                else:
                    self._secrets.delete(name)
                changed_secrets.append(name)
        except SecretStorageUnavailable as error:
            raise ServiceError(str(error)) from None
        changed = self._store.save(new, actor=actor, base=base)
        if changed_secrets:
            self._store.record_secret_change(changed_secrets, actor=actor)
        if GATEWAY_FIELDS & set(changed) or GATEWAY_SECRETS & set(changed_secrets):
            return self._apply_gateway()
        return None

    def test_gateway(self, draft: SharedSettings, transaction_key: str | None) -> str:
        """Try the keys typed (or stored) against the environment chosen; the answer."""
        key = (
            transaction_key
            if transaction_key
            else self._secrets.get(SecretName.GATEWAY_TRANSACTION_KEY)
        )
        with gateway_errors():
            self._test_gateway(draft, key or "")
        return "The gateway accepted the API login id and transaction key."

    def send_test_mail(
        self, draft: SharedSettings, smtp_password: str | None, to_address: str
    ) -> str:
        """Send a short test mail with the settings typed (not yet saved) to ``to_address``."""
        problems = [p for p in _problems(draft) if p.field.startswith(("smtp", "email_from"))]
        if not draft.smtp_host:
            problems.append(FieldProblem("smtp_host", "Enter the SMTP server first."))
        if not draft.email_from_address:
            problems.append(
                FieldProblem("email_from_address", "Enter the Email From address first.")
            )
        if not to_address.strip() or "@" not in to_address:
            problems.append(FieldProblem("test_address", "Enter the address to send the test to."))
        if problems:
            raise ValidationError.from_problems(problems)
        password = smtp_password if smtp_password else self._secrets.get(SecretName.SMTP_PASSWORD)
        config = SmtpConfig(
            draft.smtp_host,
            draft.smtp_port,
            _SMTP_SECURITY[draft.smtp_security],
            draft.smtp_username,
            password or "",
            float(min(draft.gateway_timeout_seconds, 60)),
        )
        sender = draft.email_from_name or draft.company_name
        mail = OutgoingMail(
            to_address=to_address.strip(),
            subject=f"{draft.company_name or 'w365desk'}: test mail",
            text=(
                "This is a test mail from w365desk. If you can read it, the mail settings "
                "work and customers will receive their secure links from this address."
            ),
            from_address=draft.email_from_address,
            from_name=sender,
        )
        try:
            self._send(config, mail)
        except MailDeliveryError as error:
            raise MailTestFailed(error.message, temporary=error.temporary) from None
        return f"The test mail was accepted by {draft.smtp_host} for {mail.to_address}."


def _problems(settings: SharedSettings) -> list[FieldProblem]:
    try:
        validate_shared_settings(settings)
    except SettingsError as error:
        return [FieldProblem(field, message) for field, message in error.problems.items()]
    return []
