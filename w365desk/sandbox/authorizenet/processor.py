"""The pretend card processor: approves or declines, and reports AVS and CVV results.

Rules (Authorize.Net's sandbox testing guide): billing zip 46282 declines a card;
zips 46201-46217 choose the AVS code (see ``cards.AVS_BY_ZIP``) without declining;
card codes 900-904 choose the CVV code without declining; eCheck amounts up to
100.00 approve and larger ones decline.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from decimal import Decimal

from w365desk.sandbox.authorizenet.cards import (
    AVS_NOT_APPLICABLE,
    avs_code_for,
    cvv_code_for,
    zip_declines,
)
from w365desk.sandbox.authorizenet.errors import reason_text
from w365desk.sandbox.authorizenet.records import Address, StoredPayment

ECHECK_LIMIT = Decimal("100.00")
_AUTH_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Authorization:
    response_code: int  # 1 approved, 2 declined
    reason_code: int
    auth_code: str
    avs_code: str
    cvv_code: str

    @property
    def approved(self) -> bool:
        return self.response_code == 1

    @property
    def reason_text(self) -> str:
        return reason_text(self.reason_code)


def new_auth_code() -> str:
    return "".join(secrets.choice(_AUTH_CODE_ALPHABET) for _ in range(6))


def new_network_trans_id() -> str:
    return "".join(secrets.choice(_AUTH_CODE_ALPHABET) for _ in range(23))


def authorize(
    payment: StoredPayment, amount: Decimal, bill_to: Address | None, card_code: str | None
) -> Authorization:
    if payment.kind == "bank":
        if amount > ECHECK_LIMIT:
            return Authorization(2, 2, "", AVS_NOT_APPLICABLE, "")
        return Authorization(1, 1, new_auth_code(), AVS_NOT_APPLICABLE, "")
    zip_code = bill_to.zip if bill_to else None
    street = bill_to.address if bill_to else None
    avs = avs_code_for(zip_code, street)
    cvv = cvv_code_for(card_code)
    if zip_declines(zip_code):
        return Authorization(2, 2, "", avs, cvv)
    return Authorization(1, 1, new_auth_code(), avs, cvv)


def direct_response(
    *,
    response_code: int,
    reason_code: int,
    text: str,
    auth_code: str,
    avs_code: str,
    cvv_code: str,
    trans_id: str,
    amount: Decimal,
    payment: StoredPayment,
    bill_to: Address | None,
    customer_id: str | None,
    email: str | None,
    description: str,
) -> str:
    """The comma-delimited 69-field "direct response" CIM validation returns.

    Field positions follow the gateway's delimited response format; commas inside
    values are dropped because the format has no escaping.
    """
    address = bill_to or Address()
    fields = [""] * 69

    def put(position: int, value: str | None) -> None:
        fields[position - 1] = (value or "").replace(",", " ")

    put(1, str(response_code))
    put(2, "1")
    put(3, str(reason_code))
    put(4, text)
    put(5, auth_code)
    put(6, avs_code)
    put(7, trans_id)
    put(8, "none")
    put(9, description)
    put(10, f"{amount:.2f}")
    put(11, "ECHECK" if payment.kind == "bank" else "CC")
    put(12, "auth_only")
    put(13, customer_id)
    put(14, address.first_name)
    put(15, address.last_name)
    put(16, address.company)
    put(17, address.address)
    put(18, address.city)
    put(19, address.state)
    put(20, address.zip)
    put(21, address.country)
    put(22, address.phone_number)
    put(23, address.fax_number)
    put(24, email)
    put(33, "0.00")
    put(34, "0.00")
    put(35, "0.00")
    put(36, "FALSE")
    put(37, "none")
    put(39, cvv_code)
    put(51, payment.masked_number)
    put(52, payment.brand)
    return ",".join(fields)
