"""Extraction results remembered by content hash, so one document linked from two pages is read once."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from monitor.extract.types import PageText

Extract = Callable[[bytes, str], Awaitable[list[PageText]]]


class CachedExtract:
    """Wraps an extractor with a small LRU keyed by (sha256 of the bytes, type). Errors are not cached."""

    def __init__(self, extract: Extract, *, max_items: int = 16) -> None:
        self.extract = extract
        self.max_items = max_items
        self.cache: OrderedDict[tuple[str, str], list[PageText]] = OrderedDict()

    async def __call__(self, data: bytes, doc_type: str) -> list[PageText]:
        key = (hashlib.sha256(data).hexdigest(), doc_type)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        pages = await self.extract(data, doc_type)
        self.cache[key] = pages
        while len(self.cache) > self.max_items:
            self.cache.popitem(last=False)
        return pages
