"""Annotated types shared by the schemas of every area (Pydantic; no web framework)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from atende.db.base import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
