"""Annotated types shared by the schemas and routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

from atende.db.base import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 64-bit id")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
