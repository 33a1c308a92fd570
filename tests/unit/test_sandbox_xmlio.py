"""Safe request parsing and response writing of the sandbox's XML wire format."""

from __future__ import annotations

import pytest

from w365desk.sandbox.authorizenet.shapes import api_response, money, utc_timestamp
from w365desk.sandbox.authorizenet.xmlio import (
    NAMESPACE,
    XmlRequestError,
    parse_request,
    serialize,
    sub,
    sub_if,
    text_of,
)


def test_request_is_read_without_its_namespace() -> None:
    request = parse_request(
        f'<createTransactionRequest xmlns="{NAMESPACE}"><refId> r1 </refId>'
        "<transactionRequest><amount>5.00</amount></transactionRequest>"
        "</createTransactionRequest>".encode()
    )
    assert (request.name, request.namespace) == ("createTransactionRequest", NAMESPACE)
    assert text_of(request.root, "refId") == "r1"
    assert text_of(request.root, "transactionRequest/amount") == "5.00"
    assert text_of(request.root, "missing") is None


def test_a_leading_bom_is_accepted() -> None:
    assert parse_request(b"\xef\xbb\xbf<a/>").name == "a"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
        b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
        b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><a/>',
    ],
)
def test_document_type_declarations_are_refused(body: bytes) -> None:
    with pytest.raises(XmlRequestError, match="document type declarations"):
        parse_request(body)


@pytest.mark.parametrize("body", [b"", b"<a>", b"<a></b>", b"not xml"])
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(XmlRequestError):
        parse_request(body)


def test_parse_errors_do_not_echo_the_document() -> None:
    with pytest.raises(XmlRequestError) as raised:
        parse_request(b"<cardNumber>4111111111111111</wrong>")
    assert "4111" not in str(raised.value)


def test_oversized_requests_are_refused() -> None:
    with pytest.raises(XmlRequestError, match="larger"):
        parse_request(b"<a>" + b"x" * (2 * 1024 * 1024) + b"</a>")


def test_responses_start_with_a_bom_and_keep_element_order() -> None:
    root = api_response("authenticateTestResponse", "ref-7")
    sub(root, "zeta", "1")
    sub_if(root, "skipped", None)
    sub_if(root, "empty", "")
    sub(root, "alpha", "2")
    body = serialize(root)
    assert body.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>')
    text = body.decode("utf-8")
    assert text.index("<refId>ref-7</refId>") < text.index("<messages>")
    assert text.index("<zeta>") < text.index("<alpha>")
    assert "skipped" not in text and "empty" not in text
    assert f'xmlns="{NAMESPACE}"' in text


def test_non_ascii_text_is_written_as_utf8() -> None:
    root = api_response("authenticateTestResponse", "José")
    assert "José".encode() in serialize(root)


def test_money_and_time_formats() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    assert money(Decimal("5")) == "5.00"
    assert money(Decimal("12.5")) == "12.50"
    moment = datetime(2026, 1, 15, 12, 0, 3, 456789, tzinfo=UTC)
    assert utc_timestamp(moment) == "2026-01-15T12:00:03.456Z"
