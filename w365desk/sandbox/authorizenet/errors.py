"""Result codes and texts of the Authorize.Net API, and the error a handler raises to stop.

Texts follow Authorize.Net's published response-code list. Field-level texts name the
field, never its value, so a card number can never travel back inside an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree.ElementTree import Element

OK = "I00001"
OK_TEXT = "Successful."

API_TEXTS: dict[str, str] = {
    "E00001": "An error occurred during processing. Please try again.",
    "E00003": "An error occurred while parsing the XML request.",
    "E00004": "The name of the requested API method is invalid.",
    "E00007": "User authentication failed due to invalid authentication values.",
    "E00013": "The field is invalid.",
    "E00014": "A required field is not present.",
    "E00027": "The transaction was unsuccessful.",
    "E00029": "Payment information is required.",
    "E00039": "A duplicate record already exists.",
    "E00040": "The record cannot be found.",
    "E00041": "One or more fields must contain a value.",
    "E00042": "You cannot add more than 10 payment profiles.",
    "E00045": "The root node does not reference a valid XML namespace.",
    "E00053": "Server too busy",
    "E00060": "The transaction type is invalid.",
    "E00094": "Paging Offset exceeds the maximum allowed value.",
    "E00114": "Invalid OTS Token.",
    "E00115": "Expired OTS Token.",
}

# Transaction response reason codes (transactionResponse.errors / messages).
REASON_TEXTS: dict[int, str] = {
    1: "This transaction has been approved.",
    2: "This transaction has been declined.",
    5: "A valid amount is required.",
    6: "The credit card number is invalid.",
    7: "Credit card expiration date is invalid.",
    8: "The credit card has expired.",
    9: "The ABA code is invalid",
    10: "The account number is invalid",
    11: "A duplicate transaction has been submitted.",
    15: "The transaction ID is invalid or not present.",
    16: "The transaction cannot be found.",
    33: "%s cannot be left blank.",
    54: "The referenced transaction does not meet the criteria for issuing a credit.",
    55: "The sum of credits against the referenced transaction would exceed the original "
    "debit amount.",
    78: "The Card Code (CVV2/CVC2/CID) is invalid.",
    290: "There is one or more missing or invalid required fields.",
    310: "This transaction has already been voided.",
}

MAX_PAYMENT_PROFILES = 10


def api_text(code: str) -> str:
    return API_TEXTS[code]


def reason_text(reason: int) -> str:
    return REASON_TEXTS[reason]


class ApiError(Exception):
    """Stops a request with ``resultCode`` Error and this code and text.

    ``extra`` holds elements the specific response still carries on error, already in
    schema order (for example the existing ``customerPaymentProfileId`` of an E00039
    duplicate, or the ``validationDirectResponse`` of a failed validation).
    """

    def __init__(self, code: str, text: str = "", *, extra: Sequence[Element] = ()) -> None:
        self.code = code
        self.text = text or API_TEXTS.get(code, "The request could not be processed.")
        self.extra = list(extra)
        super().__init__(f"{self.code}: {self.text}")


def invalid_field(field_label: str) -> ApiError:
    return ApiError("E00013", f"{field_label} is invalid.")


def missing_field(field_label: str) -> ApiError:
    return ApiError("E00014", f"{field_label} is required.")


def too_long(element: str, max_length: int) -> ApiError:
    """Mirrors the schema-validation wording of E00003 without echoing the value."""
    return ApiError(
        "E00003",
        f"The 'AnetApi/xml/v1/schema/AnetApiSchema.xsd:{element}' element is invalid - "
        f"The actual length is greater than the MaxLength value ({max_length}).",
    )
