"""Annotated types of the routes (path parameters); the schemas' own are in ``atende.types``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from atende.db.base import MAX_ID
from atende.types import Id, Name

__all__ = ["Id", "Name", "PathId"]

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 64-bit id")]
