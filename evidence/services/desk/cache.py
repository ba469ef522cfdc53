"""A small cache the desk keeps per database engine (so two apps on two databases never
share an entry), least recently used dropped first, shared by the server's threads."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class EngineCache(Generic[K, V]):
    """Values per engine and key, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._by_engine: weakref.WeakKeyDictionary[Any, OrderedDict[K, V]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, engine: Any, key: K) -> V | None:
        """The value stored under ``key``, or None."""
        with self._lock:
            values = self._by_engine.get(engine)
            if values is None or key not in values:
                return None
            values.move_to_end(key)
            return values[key]

    def put(self, engine: Any, key: K, value: V) -> None:
        """Store ``value`` under ``key`` (replacing what was there)."""
        with self._lock:
            values = self._by_engine.setdefault(engine, OrderedDict())
            values[key] = value
            values.move_to_end(key)
            while len(values) > self._size:
                values.popitem(last=False)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._by_engine.clear()
