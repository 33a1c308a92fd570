"""Accept: the ``securePaymentContainerRequest`` call (JSON or XML) and the Accept.js script.

The browser script posts card or bank data straight to the sandbox and receives a
one-time nonce (``opaqueData``); only the nonce travels on to the link server, so the
card number never touches the app. JSON answers, like XML ones, start with a BOM.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from typing import Any
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.cards import (
    NOT_A_TEST_CARD_TEXT,
    TEST_CARDS,
    bank_account_number_valid,
    brand_of,
    card_code_valid,
    card_number_well_formed,
    is_test_card,
    parse_expiry,
    routing_number_valid,
)
from w365desk.sandbox.authorizenet.context import Context
from w365desk.sandbox.authorizenet.errors import OK, OK_TEXT, ApiError, invalid_field, missing_field
from w365desk.sandbox.authorizenet.nonces import NonceVault
from w365desk.sandbox.authorizenet.payments import (
    ACCEPT_DATA_DESCRIPTOR,
    BANK_ACCOUNT_TYPES,
    NonceBank,
    NonceCard,
)
from w365desk.sandbox.authorizenet.shapes import api_response
from w365desk.sandbox.authorizenet.xmlio import BOM, find, sub

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
SCRIPT_CONTENT_TYPE = "application/javascript; charset=utf-8"


def tokenize(data: Mapping[str, Any], now: datetime, vault: NonceVault) -> str:
    """Check the ``data`` of a securePaymentContainerRequest and issue a nonce for it."""
    token = data.get("token")
    bank = data.get("bankToken")
    if isinstance(token, Mapping) and token:
        return vault.issue(_card(token, now))
    if isinstance(bank, Mapping) and bank:
        return vault.issue(_bank(bank))
    raise ApiError("E00029")


def _text(source: Mapping[str, Any], key: str) -> str | None:
    value = source.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _card(token: Mapping[str, Any], now: datetime) -> NonceCard:
    number = _text(token, "cardNumber")
    expiry_text = _text(token, "expirationDate")
    card_code = _text(token, "cardCode")
    if number is None:
        raise missing_field("Card Number")
    if not card_number_well_formed(number):
        raise invalid_field("Card Number")
    if not is_test_card(number):
        raise ApiError("E00013", NOT_A_TEST_CARD_TEXT)
    if expiry_text is None:
        raise missing_field("Expiration Date")
    expiry = parse_expiry(expiry_text)
    if expiry is None:
        raise invalid_field("Expiration Date")
    if expiry.expired_at(now):
        raise ApiError("E00013", "The credit card has expired.")
    if card_code is not None and not card_code_valid(card_code, brand_of(number)):
        raise invalid_field("Card Code")
    zip_code = _text(token, "zip")
    if zip_code is not None and len(zip_code) > 20:
        raise invalid_field("Zip")
    full_name = _text(token, "fullName")
    if full_name is not None and len(full_name) > 64:
        raise invalid_field("Full Name")
    return NonceCard(number=number, expiry=expiry, card_code=card_code)


def _bank(bank: Mapping[str, Any]) -> NonceBank:
    routing = _text(bank, "routingNumber")
    account = _text(bank, "accountNumber")
    name = _text(bank, "nameOnAccount")
    account_type = _text(bank, "accountType") or "checking"
    if routing is None or not routing_number_valid(routing):
        raise invalid_field("Routing Number")
    if account is None or not bank_account_number_valid(account):
        raise invalid_field("Account Number")
    if name is None or len(name) > 22:
        raise invalid_field("Name on Account")
    if account_type not in BANK_ACCOUNT_TYPES:
        raise invalid_field("Account Type")
    return NonceBank(
        account_type=account_type,
        routing_number=routing,
        account_number=account,
        name_on_account=name,
    )


def _element_to_mapping(element: Element | None) -> dict[str, Any]:
    if element is None:
        return {}
    result: dict[str, Any] = {}
    for child in element:
        result[child.tag] = _element_to_mapping(child) if len(child) else (child.text or "")
    return result


# --- XML ---------------------------------------------------------------------------------------


def secure_payment_container(ctx: Context, request: Element) -> Element:
    nonce = tokenize(_element_to_mapping(find(request, "data")), ctx.now, ctx.nonces)
    root = api_response(ctx.response_name, ctx.ref_id)
    opaque = sub(root, "opaqueData")
    sub(opaque, "dataDescriptor", ACCEPT_DATA_DESCRIPTOR)
    sub(opaque, "dataValue", nonce)
    return root


# --- JSON --------------------------------------------------------------------------------------


def json_reply(document: Mapping[str, Any]) -> bytes:
    return (BOM + json.dumps(document, separators=(",", ":"))).encode("utf-8")


def json_success(nonce: str, ref_id: str | None) -> bytes:
    document: dict[str, Any] = {
        "opaqueData": {"dataDescriptor": ACCEPT_DATA_DESCRIPTOR, "dataValue": nonce}
    }
    if ref_id:
        document["refId"] = ref_id
    document["messages"] = {"resultCode": "Ok", "message": [{"code": OK, "text": OK_TEXT}]}
    return json_reply(document)


def json_error(code: str, text: str, ref_id: str | None = None) -> bytes:
    document: dict[str, Any] = {}
    if ref_id:
        document["refId"] = ref_id
    document["messages"] = {"resultCode": "Error", "message": [{"code": code, "text": text}]}
    return json_reply(document)


# The line of Accept.js that the served script carries filled in with the test cards.
TEST_CARDS_PLACEHOLDER = "var TEST_CARDS = [];"


@functools.cache
def accept_script() -> bytes:
    """The Accept.js-compatible script served at ``/v1/Accept.js``, knowing the test cards."""
    script = resources.files(__package__).joinpath("static", "Accept.js").read_text("utf-8")
    if script.count(TEST_CARDS_PLACEHOLDER) != 1:
        raise RuntimeError("Accept.js has lost its test-card placeholder line")
    filled = f"var TEST_CARDS = {json.dumps(sorted(TEST_CARDS))};"
    return script.replace(TEST_CARDS_PLACEHOLDER, filled).encode("utf-8")
