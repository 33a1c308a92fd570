"""XML shapes of the API types several responses share, each written in XSD element order.

The official SDK validates responses strictly against the schema (PyXB), so the order
of child elements here is not cosmetic: it is copied from the XSD, element by element.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.errors import OK, OK_TEXT
from w365desk.sandbox.authorizenet.records import (
    ADDRESS_FIELDS,
    Address,
    PaymentProfile,
    StoredPayment,
)
from w365desk.sandbox.authorizenet.xmlio import leaf, response_root, sub, sub_if

CONTACT_FIELDS = ("phone_number", "fax_number", "email")


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def utc_timestamp(moment: datetime) -> str:
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def local_timestamp(moment: datetime) -> str:
    """The sandbox merchant's time zone is UTC, so local time is UTC without the zone mark."""
    return utc_timestamp(moment)[:-1]


def boolean(value: bool) -> str:
    return "true" if value else "false"


def api_response(
    name: str, ref_id: str | None, messages: Iterable[tuple[str, str]] | None = None
) -> Element:
    """``<xxxResponse>`` with refId echoed and messages; Ok unless an E-code is present."""
    root = response_root(name)
    sub_if(root, "refId", ref_id)
    pairs = list(messages) if messages is not None else [(OK, OK_TEXT)]
    add_messages(root, pairs)
    return root


def add_messages(parent: Element, pairs: list[tuple[str, str]]) -> Element:
    result = "Error" if any(code.startswith("E") for code, _ in pairs) else "Ok"
    block = sub(parent, "messages")
    sub(block, "resultCode", result)
    for code, text in pairs:
        message = sub(block, "message")
        sub(message, "code", code)
        sub(message, "text", text)
    return block


def add_address(
    parent: Element, tag: str, address: Address | None, *, with_contact: bool = True
) -> None:
    """customerAddressType (with phone, fax, email) or nameAndAddressType (without)."""
    if address is None or address.is_empty():
        return
    element = sub(parent, tag)
    for attribute, xml_name in ADDRESS_FIELDS:
        if not with_contact and attribute in CONTACT_FIELDS:
            continue
        sub_if(element, xml_name, getattr(address, attribute))


def add_masked_payment(parent: Element, payment: StoredPayment, *, unmask_expiry: bool) -> None:
    """paymentMaskedType: creditCardMaskedType or bankAccountMaskedType."""
    element = sub(parent, "payment")
    if payment.kind == "card":
        card = sub(element, "creditCard")
        sub(card, "cardNumber", payment.masked_number)
        sub(card, "expirationDate", payment.masked_expiry(unmask_expiry))
        sub(card, "cardType", payment.brand)
        return
    bank = sub(element, "bankAccount")
    sub_if(bank, "accountType", payment.bank_account_type)
    sub(bank, "routingNumber", f"XXXX{payment.routing_last4 or ''}")
    sub(bank, "accountNumber", payment.masked_number)
    sub(bank, "nameOnAccount", payment.name_on_account or "")
    sub_if(bank, "echeckType", payment.echeck_type)
    sub_if(bank, "bankName", payment.bank_name)


def add_masked_payment_profile(
    parent: Element, tag: str, profile: PaymentProfile, *, is_default: bool, unmask_expiry: bool
) -> None:
    """customerPaymentProfileMaskedType."""
    element = sub(parent, tag)
    sub_if(element, "customerType", profile.customer_type)
    add_address(element, "billTo", profile.bill_to)
    sub(element, "customerProfileId", profile.customer_profile_id)
    sub(element, "customerPaymentProfileId", profile.id)
    sub(element, "defaultPaymentProfile", boolean(is_default))
    add_masked_payment(element, profile.payment, unmask_expiry=unmask_expiry)


def add_profile_ids(parent: Element, customer_profile_id: str, payment_profile_id: str) -> None:
    """customerProfileIdType."""
    element = sub(parent, "profile")
    sub(element, "customerProfileId", customer_profile_id)
    sub(element, "customerPaymentProfileId", payment_profile_id)


def numeric_list(tag: str, values: list[str]) -> Element:
    """ArrayOfNumericString: written even when empty, as the real service does."""
    element = leaf(tag)
    for value in values:
        sub(element, "numericString", value)
    return element


def string_list(tag: str, values: list[str]) -> Element:
    """ArrayOfString."""
    element = leaf(tag)
    for value in values:
        sub(element, "string", value)
    return element
