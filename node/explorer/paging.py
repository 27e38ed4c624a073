"""?page=N&size=M on every list: the query parameters checked (a clear error naming the bad one), the SQL
limit/offset, and the previous/next links."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

DEFAULT_SIZE, MAX_SIZE = 50, 500


class BadQuery(ValueError):
    """A query parameter the explorer cannot use; the message names it and what was expected."""


def _positive(name: str, raw: str | None, default: int, largest: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= largest:
        raise BadQuery(f"?{name}={raw!r} is not a page {'number' if name == 'page' else 'size'}: "
                       f"expected a whole number from 1 to {largest:,}")
    return int(raw)


@dataclass(frozen=True)
class Paging:
    page: int = 1
    size: int = DEFAULT_SIZE

    @classmethod
    def parse(cls, page: str | None, size: str | None) -> "Paging":
        return cls(_positive("page", page, 1, 10**9), _positive("size", size, DEFAULT_SIZE, MAX_SIZE))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.size))

    def nav(self, path: str, total: int, **keep: str) -> str:
        """'page 2 of 5 (231 rows) · ← previous · next →', links keeping the size and any other parameters."""
        last = self.pages(total)

        def href(n: int) -> str:
            params = {**{k: v for k, v in keep.items() if v}, "page": n}
            if self.size != DEFAULT_SIZE:
                params["size"] = self.size
            return escape(f"{path}?{urlencode(params)}")
        prev = (f'<a rel="prev" href="{href(self.page - 1)}">← previous</a>' if 1 < self.page <= last + 1
                else '<span class="none">← previous</span>')
        nxt = (f'<a rel="next" href="{href(self.page + 1)}">next →</a>' if self.page < last
               else '<span class="none">next →</span>')
        beyond = f' · <a href="{href(last)}">last page</a>' if self.page > last else ""
        return (f'<nav class="pager" data-page="{self.page}" data-pages="{last}" data-total="{total}">'
                f'page {self.page:,} of {last:,} ({total:,} rows) · {prev} · {nxt}{beyond}</nav>')
