from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from atende.types import Id


class UploadFields(BaseModel):
    """The text fields sent next to the file in ``multipart/form-data``."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    public: bool | None = Field(
        default=None,
        description="visible to the customer; default: the message's visibility, else true",
    )
    message_id: Id | None = Field(default=None, description="a message of the same ticket")


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    message_id: int | None
    filename: str
    content_type: str = Field(description="detected from the bytes, not taken from the client")
    size: int
    sha256: str
    public: bool
    uploaded_by_id: int | None
    created_at: datetime
    content_url: str

    @classmethod
    def of(cls, row: object, *, prefix: str = "/api/v1") -> AttachmentOut:
        out = cls.model_validate(
            {**{k: getattr(row, k) for k in _COLUMNS}, "content_url": ""},
        )
        out.content_url = f"{prefix}/attachments/{out.id}/content"
        return out


_COLUMNS = (
    "id",
    "ticket_id",
    "message_id",
    "filename",
    "content_type",
    "size",
    "sha256",
    "public",
    "uploaded_by_id",
    "created_at",
)
