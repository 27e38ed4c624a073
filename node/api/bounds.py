"""Integer parameters bounded to what SQLite can store: out of range is a 422 naming the parameter, not an
OverflowError (a 500) when the value reaches a query. Shared by the node's API and the explorer."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

INT64_MAX = 2**63 - 1  # SQLite's INTEGER is a signed 64-bit value; ids and job numbers are never negative

PathId = Annotated[int, Path(ge=0, le=INT64_MAX, description="a non-negative 64-bit integer")]
QueryId = Annotated[int | None, Query(ge=0, le=INT64_MAX, description="a non-negative 64-bit integer")]
