"""No card number in any log line, captured record, exception message or traceback.

The official SDK logs the whole pretty-printed request — card number included — at
ERROR level when its HTTP post fails. These tests provoke exactly that path (the
sandbox resets the connection during a card request) with the root logger at DEBUG and
a capturing handler, and look for the number everywhere.
"""

from __future__ import annotations

import logging
import logging.config
import traceback
from collections.abc import Iterator
from decimal import Decimal

import pytest
from authorizenet import apicontractsv1, apicontrollers
from gateway_support import gateway_for

from w365desk.gateway import (
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
    GatewayError,
    InvalidField,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway, silence_sdk_logging
from w365desk.sandbox.authorizenet import (
    DEFAULT_API_LOGIN_ID,
    DEFAULT_TRANSACTION_KEY,
    Fault,
    SandboxServer,
)

CARD_NUMBERS = ("4111111111111111", "5424000000000015", "370000000000002")
CARD_REQUEST = "createCustomerPaymentProfileRequest"


class _Everything(logging.Handler):
    """Keeps every record's formatted text, raw message and arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.texts.append(self.format(record))
        self.texts.append(f"{record.msg!r} {record.args!r}")


@pytest.fixture
def captured() -> Iterator[_Everything]:
    root = logging.getLogger()
    handler = _Everything()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
def gateway(sandbox: SandboxServer) -> Iterator[AuthorizeNetGateway]:
    adapter = gateway_for(sandbox, timeout_s=5.0)
    yield adapter
    adapter.close()


def _sdk_card_request(customer_profile_id: str, number: str) -> object:
    """The SDK's own card request, as an SDK user would write it."""
    authentication = apicontractsv1.merchantAuthenticationType()
    authentication.name = DEFAULT_API_LOGIN_ID
    authentication.transactionKey = DEFAULT_TRANSACTION_KEY
    card = apicontractsv1.creditCardType()
    card.cardNumber = number
    card.expirationDate = "2030-12"
    payment = apicontractsv1.paymentType()
    payment.creditCard = card
    profile = apicontractsv1.customerPaymentProfileType()
    profile.payment = payment
    request = apicontractsv1.createCustomerPaymentProfileRequest()
    request.merchantAuthentication = authentication
    request.customerProfileId = customer_profile_id
    request.paymentProfile = profile
    return request


def _run_sdk_error_path(sandbox: SandboxServer, customer_profile_id: str, number: str) -> None:
    sandbox.set_fault(CARD_REQUEST, Fault("reset", times=1))
    controller = apicontrollers.createCustomerPaymentProfileController(
        _sdk_card_request(customer_profile_id, number)
    )
    controller.setenvironment(sandbox.api_url)
    controller.execute()  # the post fails; the SDK logs the request and carries on
    assert controller.getresponse() is None


def _leaks(texts: list[str]) -> list[str]:
    return [text for text in texts if any(number in text for number in CARD_NUMBERS)]


def test_the_sdk_error_path_would_leak_without_the_guard(
    captured: _Everything, sandbox: SandboxServer, gateway: AuthorizeNetGateway
) -> None:
    """Control experiment: proves the provoked path really logs the number, so the
    guarded tests below can fail."""
    customer = gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="L-0"))
    sdk_logger = logging.getLogger("authorizenet.sdk")
    saved = (list(sdk_logger.filters), sdk_logger.propagate, sdk_logger.level)
    try:
        for log_filter in saved[0]:
            sdk_logger.removeFilter(log_filter)
        sdk_logger.propagate = True
        sdk_logger.setLevel(logging.NOTSET)
        package_logger = logging.getLogger("authorizenet")
        package_logger.propagate = True
        package_logger.setLevel(logging.NOTSET)
        _run_sdk_error_path(sandbox, customer, CARD_NUMBERS[0])
    finally:
        silence_sdk_logging()
    assert _leaks(captured.texts), "the SDK no longer logs the request on failure"


def test_sdk_error_path_logs_nothing_at_root_debug(
    captured: _Everything, sandbox: SandboxServer, gateway: AuthorizeNetGateway
) -> None:
    customer = gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="L-1"))
    _run_sdk_error_path(sandbox, customer, CARD_NUMBERS[0])
    assert "authorizenet.sdk" not in captured.names
    assert _leaks(captured.texts) == []
    # The capture is live: the HTTP library's own debug lines got through.
    assert any(name.startswith("urllib3") for name in captured.names)


def test_app_logging_config_cannot_reopen_the_sdk_logger(
    captured: _Everything, sandbox: SandboxServer, gateway: AuthorizeNetGateway
) -> None:
    customer = gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="L-2"))
    # What an app's logging set-up might do: configure the package logger at DEBUG,
    # which makes dictConfig reset its children to propagate at NOTSET.
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "loggers": {"authorizenet": {"level": "DEBUG", "propagate": True}},
        }
    )
    logging.getLogger("authorizenet.sdk").setLevel(logging.DEBUG)
    try:
        _run_sdk_error_path(sandbox, customer, CARD_NUMBERS[1])
    finally:
        silence_sdk_logging()
    assert _leaks(captured.texts) == []


def _all_text_of(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error))] + [
        repr(value) for value in vars(error).values()
    ]


def test_adapter_failures_during_card_requests_leak_nothing(
    captured: _Everything,
    caplog: pytest.LogCaptureFixture,
    sandbox: SandboxServer,
    gateway: AuthorizeNetGateway,
) -> None:
    caplog.set_level(logging.DEBUG)
    customer = gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="L-3"))
    address = BillingAddress(first_name="Ada", last_name="Lovelace", zip="46282")
    texts: list[str] = []
    for kind in ("reset", "hang", "http_500", "malformed_xml", "busy", "reset_before"):
        sandbox.set_fault(CARD_REQUEST, Fault(kind, times=1))  # type: ignore[arg-type]
        with pytest.raises(GatewayError) as caught:
            AuthorizeNetGateway(
                DEFAULT_API_LOGIN_ID, DEFAULT_TRANSACTION_KEY, sandbox.api_url, timeout_s=1.0
            ).add_card(customer, CardInput(CARD_NUMBERS[2], 12, 2030, "1234"), address)
        texts += _all_text_of(caught.value)
    # Refusals from the gateway and from our own checks.
    card = CardInput(CARD_NUMBERS[0], 12, 2030)
    added = gateway.add_card(customer, card, address)
    for attempt in (
        lambda: gateway.add_card(customer, card, address),  # duplicate
        lambda: gateway.add_card(customer, card, address, validation_mode="liveMode"),
        lambda: gateway.charge_profile(
            ChargeRequest(customer, added.payment_profile_id, Decimal("5.00"), invoice_number="L3")
        ),  # declined
        lambda: CardInput(CARD_NUMBERS[0][:-1] + "2", 12, 2030),
    ):
        with pytest.raises(GatewayError) as caught:
            attempt()
        texts += _all_text_of(caught.value)
    texts.append(repr(card))
    texts.append(repr(added))
    assert _leaks(texts) == []
    assert _leaks(captured.texts) == []
    assert _leaks([caplog.text]) == []


@pytest.mark.parametrize(
    "bad_number",
    [
        # Longer than the 16 digits the gateway's schema allows.
        CARD_NUMBERS[0] + "3",
        CARD_NUMBERS[0] + "110",
    ],
)
def test_a_value_refused_while_building_leaves_no_trace_of_the_card(bad_number: str) -> None:
    # The request is refused while it is built, before anything is sent, so no sandbox
    # is needed; our own checks are bypassed to reach the SDK's.
    gateway = AuthorizeNetGateway("login", "key", "http://127.0.0.1:9/xml/v1/request.api")
    card = CardInput(CARD_NUMBERS[0], 12, 2030)
    object.__setattr__(card, "number", bad_number)
    with pytest.raises(InvalidField) as caught:
        gateway.add_card("1", card, None)
    error = caught.value
    # The SDK's exception quotes the value: it must not ride along as cause or context.
    assert error.__cause__ is None
    assert error.__context__ is None
    assert "format" in str(error)
    texts = _all_text_of(error)
    assert _leaks(texts) == []
    assert not any(bad_number in text for text in texts)
