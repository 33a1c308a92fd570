"""The fault book: precedence, counted uses, validation; the control JSON parsing, and who may
use the control endpoints."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from w365desk.sandbox.authorizenet.control import (
    ControlError,
    fault_from_json,
    host_is_loopback,
    is_loopback,
    latency_from_json,
    refusal,
)
from w365desk.sandbox.authorizenet.faults import FAULT_KINDS, Fault, FaultBook


def test_a_specific_type_wins_over_every_type() -> None:
    book = FaultBook()
    book.set("*", Fault("http_500"))
    book.set("createTransactionRequest", Fault("hang"))
    assert book.take("createTransactionRequest") == Fault("hang")
    assert book.take("getTransactionDetailsRequest") == Fault("http_500")
    assert book.take("") == Fault("http_500")


def test_times_counts_down_and_then_the_fault_is_gone() -> None:
    book = FaultBook()
    book.set("*", Fault("busy", times=2))
    assert [book.take("x") for _ in range(3)] == [
        Fault("busy", times=2),
        Fault("busy", times=1),
        None,
    ]
    assert book.snapshot() == {}


def test_none_clears_one_type_and_clear_clears_all() -> None:
    book = FaultBook()
    book.set("a", Fault("busy"))
    book.set("b", Fault("busy"))
    book.set("a", None)
    assert set(book.snapshot()) == {"b"}
    book.clear()
    assert book.snapshot() == {}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "boom"}, "unknown fault kind"),
        ({"kind": "latency", "latency_ms": -1}, "latency_ms"),
        ({"kind": "busy", "times": 0}, "times must be at least 1"),
    ],
)
def test_bad_faults_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**arguments)  # type: ignore[arg-type]


def test_only_processing_faults_let_the_request_through() -> None:
    through = {kind for kind in FAULT_KINDS if Fault(kind).processes_request}  # type: ignore[arg-type]
    assert through == {"latency", "hang", "reset"}


def test_fault_json() -> None:
    assert fault_from_json(
        {"requestType": "createTransactionRequest", "kind": "latency", "latencyMs": 250}
    ) == ("createTransactionRequest", Fault("latency", latency_ms=250))
    assert fault_from_json({"requestType": "*", "kind": "hang", "times": 3}) == (
        "*",
        Fault("hang", times=3),
    )
    assert fault_from_json({"requestType": "*", "kind": None}) == ("*", None)


@pytest.mark.parametrize(
    "document",
    [
        None,
        "busy",
        {"requestType": "", "kind": "busy"},
        {"requestType": "*", "kind": "busy", "times": True},
    ],
)
def test_bad_fault_json(document: object) -> None:
    with pytest.raises(ControlError):
        fault_from_json(document)


def test_latency_json() -> None:
    assert latency_from_json({"latencyMs": 0}) == 0
    with pytest.raises(ControlError):
        latency_from_json({"latencyMs": 1.5})


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("127.5.5.5", True), ("::1", True), ("10.0.0.7", False), ("x", False)],
)
def test_loopback_detection(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:8801", True),
        ("localhost:8801", True),
        ("LOCALHOST", True),
        ("[::1]:8801", True),
        ("evil.example:8801", False),  # a page that rebound its own name to 127.0.0.1
        ("127.0.0.1.evil.example", False),
        ("[::ffff:10.0.0.7]:80", False),
    ],
)
def test_host_header_must_name_this_computer(host: str, loopback: bool) -> None:
    assert host_is_loopback(host) is loopback


def ask(**overrides: object) -> tuple[HTTPStatus, str] | None:
    request: dict[str, object] = {
        "client_address": "127.0.0.1",
        "host": "127.0.0.1:8801",
        "origin": None,
        "method": "POST",
        "path": "/sandbox/faults",
        "content_type": "application/json",
    }
    request.update(overrides)
    return refusal(**request)  # type: ignore[arg-type]


def test_a_local_program_sending_json_is_served() -> None:
    assert ask() is None
    assert ask(method="GET", path="/sandbox/ledger", content_type=None) is None
    assert ask(host=None, content_type="application/json; charset=utf-8") is None


@pytest.mark.parametrize(
    ("overrides", "status", "text"),
    [
        ({"client_address": "10.0.0.7"}, HTTPStatus.FORBIDDEN, "loopback clients only"),
        ({"host": "evil.example:8801"}, HTTPStatus.FORBIDDEN, "localhost only"),
        ({"origin": "https://evil.example"}, HTTPStatus.FORBIDDEN, "do not answer web pages"),
        ({"origin": "null"}, HTTPStatus.FORBIDDEN, "do not answer web pages"),
        (
            {"method": "GET", "path": "/sandbox/ledger", "origin": "http://127.0.0.1:9"},
            HTTPStatus.FORBIDDEN,
            "do not answer web pages",
        ),
        ({"content_type": "text/plain"}, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "application/json"),
        ({"content_type": None, "path": "/sandbox/settle"}, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, ""),
    ],
)
def test_web_pages_and_non_json_writes_are_refused(
    overrides: dict[str, object], status: HTTPStatus, text: str
) -> None:
    refused = ask(**overrides)
    assert refused is not None
    assert refused[0] == status
    assert text in refused[1]
