"""The admin pages (``/admin``): configuration without raw JSON, in the reader's language.

Each area has its own module here with its own router (``web/admin/<area>.py``, route class
``common.AdminRoute``) and templates (``templates/admin/<area>/``), is listed in
`sections.SECTIONS`, and writes through the same core commands and workflows as the API, so
every change is validated and audited alike. A form is read and checked by ``forms`` (the
API's own schemas, the errors beside their fields). Admin pages answer 404 to anyone who is not
an admin (``common.AdminUser``/``CsrfAdminUser``); a supervisor reads the lists of the sections
marked ``readers`` (``common.ReaderUser``), without their forms.
"""

from __future__ import annotations

from fastapi import APIRouter

from atende.web.admin import (
    calendars,
    canned,
    chat_flows,
    chat_widgets,
    home,
    mailboxes,
    messaging,
    organizations,
    pause_reasons,
    plans,
    queues,
    replycheck,
    rules,
    sla,
    users,
)
from atende.web.pages import HtmlRoute

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)
router.include_router(home.router)
router.include_router(users.router)
router.include_router(queues.router)
router.include_router(pause_reasons.router)
router.include_router(calendars.router)
router.include_router(sla.router)
router.include_router(messaging.router)
router.include_router(rules.router)
router.include_router(canned.router)
router.include_router(plans.router)
router.include_router(organizations.router)
router.include_router(replycheck.router)
router.include_router(mailboxes.router)
router.include_router(chat_widgets.router)
router.include_router(chat_flows.router)
