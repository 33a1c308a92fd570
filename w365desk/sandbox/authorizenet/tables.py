"""A dictionary of records that remembers which keys a request reached, for the journal.

Every record a request reads, adds or removes *by key* is noted while tracking is
on; the journal then writes those records' current values (or their removal). A
record reached by key and changed in place is therefore never missed. Records
changed after being reached by *iteration* must be noted with ``touch``; only
settlement does that, and it goes through ``SandboxState.settled``.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

T = TypeVar("T")
D = TypeVar("D")


class Table(dict[str, T]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tracking = False
        self._reached: set[str] = set()

    # --- tracking ------------------------------------------------------------------------------

    def start_tracking(self) -> None:
        self._tracking = True
        self._reached = set()

    def stop_tracking(self) -> set[str]:
        """The keys reached since ``start_tracking``; tracking stops."""
        reached, self._reached = self._reached, set()
        self._tracking = False
        return reached

    def touch(self, key: str) -> None:
        if self._tracking:
            self._reached.add(key)

    # --- dict access by key --------------------------------------------------------------------

    def __getitem__(self, key: str) -> T:
        self.touch(key)
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: T) -> None:
        self.touch(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.touch(key)
        super().__delitem__(key)

    @overload  # type: ignore[override]  # dict.get's overloads differ only in naming
    def get(self, key: str, /) -> T | None: ...

    @overload
    def get(self, key: str, default: T | D, /) -> T | D: ...

    def get(self, key: str, default: Any = None, /) -> Any:
        self.touch(key)
        return super().get(key, default)

    @overload
    def pop(self, key: str, /) -> T: ...

    @overload
    def pop(self, key: str, default: T | D, /) -> T | D: ...

    def pop(self, key: str, *default: Any) -> Any:
        self.touch(key)
        return super().pop(key, *default)

    def setdefault(self, key: str, default: T, /) -> T:
        self.touch(key)
        return super().setdefault(key, default)

    def peek(self, key: str) -> T | None:
        """The record without noting it: for writing the journal itself."""
        return super().get(key)
