"""Who is acting: the value every service receives and checks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str  # admin | supervisor | agent | contact | system
    name: str
    email: str = ""
    contact_id: int | None = None
    organization_id: int | None = None
    queue_ids: frozenset[int] = field(default_factory=frozenset)
    timezone: str = "America/Sao_Paulo"
    locale: str = "pt_BR"

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "system")

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "supervisor", "agent", "system")

    @property
    def sees_all_tickets(self) -> bool:
        return self.role in ("admin", "supervisor", "system")

    @property
    def is_contact(self) -> bool:
        return self.role == "contact"

    @property
    def label(self) -> str:
        return self.name or self.email or self.role


SYSTEM = Actor(user_id=None, role="system", name="Atende")
