"""Checked reading of common request fields: bounded text, addresses, ids, paging, sorting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.errors import ApiError, invalid_field, too_long
from w365desk.sandbox.authorizenet.records import ADDRESS_FIELDS, Address
from w365desk.sandbox.authorizenet.xmlio import bool_of, find, text_of

# maxLength facets of customerAddressType in the XSD.
ADDRESS_LIMITS: dict[str, int] = {
    "firstName": 50,
    "lastName": 50,
    "company": 50,
    "address": 60,
    "city": 40,
    "state": 40,
    "zip": 20,
    "country": 60,
    "phoneNumber": 25,
    "faxNumber": 25,
    "email": 255,
}
MAX_PAGE_SIZE = 1000
MAX_PAGE_NUMBER = 100000

T = TypeVar("T")


def limited_text(element: Element | None, path: str, max_length: int) -> str | None:
    value = text_of(element, path)
    if value is not None and len(value) > max_length:
        raise too_long(path.rsplit("/", 1)[-1], max_length)
    return value


def numeric_id(element: Element | None, path: str, label: str) -> str | None:
    value = text_of(element, path)
    if value is not None and not value.isdigit():
        raise invalid_field(label)
    return value


def read_address(parent: Element | None, tag: str) -> Address | None:
    element = find(parent, tag)
    if element is None:
        return None
    values = {
        attribute: limited_text(element, xml_name, ADDRESS_LIMITS[xml_name])
        for attribute, xml_name in ADDRESS_FIELDS
    }
    address = Address(**values)
    return None if address.is_empty() else address


@dataclass(frozen=True)
class Page:
    limit: int
    number: int  # 1-based: Authorize.Net's paging "offset" is a page number

    def slice(self, items: list[T]) -> list[T]:
        start = (self.number - 1) * self.limit
        return items[start : start + self.limit]


def read_paging(request: Element) -> Page:
    paging = find(request, "paging")
    if paging is None:
        return Page(limit=MAX_PAGE_SIZE, number=1)
    limit_text = text_of(paging, "limit")
    offset_text = text_of(paging, "offset")
    if limit_text is None or not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
        raise invalid_field("Paging Limit")
    if offset_text is None or not offset_text.isdigit() or int(offset_text) < 1:
        raise invalid_field("Paging Offset")
    if int(offset_text) > MAX_PAGE_NUMBER:
        raise ApiError("E00094")
    return Page(limit=int(limit_text), number=int(offset_text))


@dataclass(frozen=True)
class Sorting:
    order_by: str
    descending: bool


def read_sorting(request: Element, allowed: tuple[str, ...], default: str) -> Sorting:
    sorting = find(request, "sorting")
    if sorting is None:
        return Sorting(order_by=default, descending=False)
    order_by = text_of(sorting, "orderBy") or default
    if order_by not in allowed:
        raise invalid_field("Sorting Order By")
    return Sorting(order_by=order_by, descending=bool(bool_of(sorting, "orderDescending")))
