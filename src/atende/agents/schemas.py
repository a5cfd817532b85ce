from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from atende.customers.schemas import Strict
from atende.types import Id, Name

Role = Literal["admin", "supervisor", "agent", "contact"]
Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False),  # a password is kept exactly as typed
    Field(
        min_length=8,
        max_length=256,
        description="at least 8 characters, not among the most common passwords, without "
        "the user's name or e-mail",
    ),
]
Capacity = Annotated[int, Field(ge=1, le=1000)]


class UserIn(Strict):
    name: Name
    email: EmailStr
    role: Role = "agent"
    password: Password | None = None
    contact_id: Id | None = Field(default=None, description="required for role 'contact'")
    timezone: Annotated[str, Field(max_length=64)] = "America/Sao_Paulo"
    locale: Literal["pt_BR", "en"] = "pt_BR"
    queue_ids: list[Id] = Field(default_factory=list, max_length=200)
    max_open_tickets: Capacity | None = Field(
        default=None, description="backlog limit (open assigned tickets); null: queue default"
    )
    max_chats: Capacity | None = Field(
        default=None, description="concurrent chats limit; null: queue default"
    )


class UserPatch(Strict):
    name: Name | None = None
    email: EmailStr | None = None
    role: Role | None = None
    password: Password | None = None
    active: bool | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    locale: Literal["pt_BR", "en"] | None = None
    queue_ids: list[Id] | None = Field(default=None, max_length=200)
    max_open_tickets: Capacity | None = Field(default=None, description="null: queue default")
    max_chats: Capacity | None = Field(default=None, description="null: queue default")


class PasswordChangeIn(Strict):
    current_password: Annotated[
        str, StringConstraints(strip_whitespace=False), Field(min_length=1, max_length=1024)
    ]
    new_password: Password


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str
    role: str
    active: bool
    contact_id: int | None
    timezone: str
    locale: str
    queue_ids: list[int] = []
    max_open_tickets: int | None = None
    max_chats: int | None = None
    created_at: datetime


class TokenIn(Strict):
    name: Annotated[str, Field(max_length=120)] = ""


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    token: str | None = Field(default=None, description="shown once, at creation")
