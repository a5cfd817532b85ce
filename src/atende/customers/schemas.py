from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from atende.i18n import N_
from atende.types import Id, Name

ContactRole = Literal["owner", "focal_point", "manager", "director", "user"]


class Strict(BaseModel):
    """Base of every input body: unknown fields refused, text stripped, no NUL characters
    (PostgreSQL cannot store them, and both databases must answer alike)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _nul_at(data, "")
        if where is not None:
            raise ValueError(f"{where or 'body'}: text may not contain NUL characters (\\u0000)")
        return data


def _nul_at(value: Any, path: str) -> str | None:
    """The path of the first string holding a NUL character, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return f"{path}.{key!r}" if path else repr(key)
            found = _nul_at(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_at(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError(N_("may not be null; leave the field out to keep its value"))
    return value


#: A calendar date Atende supports (1970-2100), so that date arithmetic never overflows.
SupportedDate = Annotated[date, Field(ge=date(1970, 1, 1), le=date(2100, 12, 31))]


class PlanIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: Annotated[str, Field(max_length=5000)] = ""
    rank: Annotated[int, Field(ge=0, le=1000)] = 0
    includes_field_desk: bool = False
    field_desk_discount_percent: Annotated[int, Field(ge=0, le=100)] = Field(
        default=0, description="discount on a paid Field Desk visit (plans without visits)"
    )


class PlanPatch(Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    rank: Annotated[int, Field(ge=0, le=1000)] | None = None
    includes_field_desk: bool | None = None
    field_desk_discount_percent: Annotated[int, Field(ge=0, le=100)] | None = None

    _not_null = field_validator(
        "name",
        "description",
        "rank",
        "includes_field_desk",
        "field_desk_discount_percent",
        mode="before",
    )(_refuse_null)


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    rank: int
    includes_field_desk: bool
    field_desk_discount_percent: int
    created_at: datetime


class OrganizationIn(Strict):
    name: Name
    document: Annotated[str, Field(max_length=24)] | None = Field(
        default=None, description="CNPJ (numeric or alphanumeric) or CPF; check digits validated"
    )
    plan_id: Id | None = None
    key_account: bool = False
    stores: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    account_manager_id: Id | None = None
    billing_due_day: Annotated[int, Field(ge=1, le=31)] | None = None
    delinquent: bool = False
    overdue_since: SupportedDate | None = None
    notes: Annotated[str, Field(max_length=20000)] = ""


class OrganizationPatch(Strict):
    name: Name | None = None
    document: Annotated[str, Field(max_length=24)] | None = None
    plan_id: Id | None = None
    key_account: bool | None = None
    stores: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    account_manager_id: Id | None = None
    billing_due_day: Annotated[int, Field(ge=1, le=31)] | None = None
    delinquent: bool | None = None
    overdue_since: SupportedDate | None = None
    notes: Annotated[str, Field(max_length=20000)] | None = None

    _not_null = field_validator(
        "name", "key_account", "stores", "delinquent", "notes", mode="before"
    )(_refuse_null)


class OrganizationOut(BaseModel):
    id: int
    name: str
    document: str | None
    plan_id: int | None
    plan_name: str | None
    key_account: bool
    stores: int
    account_manager_id: int | None
    billing_due_day: int | None
    delinquent: bool
    overdue_since: date | None
    system_blocked: bool
    blocked_from: date | None
    notes: str
    created_at: datetime


class ContactIn(Strict):
    name: Name
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="any format; stored as E.164, Brazilian numbers by default"
    )
    role: ContactRole = "user"
    organization_id: Id | None = None


class ContactPatch(Strict):
    name: Name | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    role: ContactRole | None = None
    organization_id: Id | None = None

    _not_null = field_validator("name", "role", mode="before")(_refuse_null)


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str | None
    phone: str | None
    role: str
    organization_id: int | None
    created_at: datetime
