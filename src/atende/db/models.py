"""Imports every area's models so that metadata (and Alembic) sees all tables."""

from atende.agents import models as agents_models
from atende.attachments import models as attachments_models
from atende.audit import models as audit_models
from atende.auth import models as auth_models
from atende.calendars import models as calendars_models
from atende.channels import models as channels_models
from atende.chat import models as chat_models
from atende.customers import models as customers_models
from atende.db.base import Base
from atende.db.cache import CacheState
from atende.jobs import models as jobs_models
from atende.notifications import models as notifications_models
from atende.queues import models as queues_models
from atende.replycheck import models as replycheck_models
from atende.reports import models as reports_models
from atende.rules import models as rules_models
from atende.sla import models as sla_models
from atende.stream import models as stream_models
from atende.surveys import models as surveys_models
from atende.tickets import models as tickets_models
from atende.visits import models as visits_models

__all__ = [
    "Base",
    "CacheState",
    "agents_models",
    "attachments_models",
    "audit_models",
    "auth_models",
    "calendars_models",
    "channels_models",
    "chat_models",
    "customers_models",
    "jobs_models",
    "notifications_models",
    "queues_models",
    "replycheck_models",
    "reports_models",
    "rules_models",
    "sla_models",
    "stream_models",
    "surveys_models",
    "tickets_models",
    "visits_models",
]
