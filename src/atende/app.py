"""The application factory: mounts the API and the web pages and installs the error handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from atende.api import problems
from atende.api import stream as stream_api
from atende.api.admission import Admission
from atende.api.bodies import AuthenticateFirst
from atende.api.limits import BodySizeLimit, SecurityHeaders
from atende.db.engine import make_engine, make_sessionmaker, read_only
from atende.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.run_worker:  # the embedded default: jobs and sweeps run in this process
            from atende.worker import Worker, start_in_thread

            worker = Worker(settings, app.state.sessionmaker)
            thread = start_in_thread(worker)
        from atende.channels import smtp_receiver  # listens in one process (docs/channels.md)

        receiver = smtp_receiver.start(settings, app.state.sessionmaker)
        yield
        if receiver is not None:
            receiver.stop()
        stream_api.close(app)  # the live streams' reader stops before the engine goes
        if worker is not None:
            worker.stop.set()  # finish the job in hand, then stop
            thread.join(timeout=30)
        engine.dispose()

    app = FastAPI(
        title="Atende",
        version="0.1.0",
        summary="Helpdesk for Brazilian support teams: tickets, business-hours SLAs, routing.",
        docs_url=None,  # served below from the vendored Swagger UI (no CDN: works offline)
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_sessionmaker(read_only(engine))
    app.state.admission = Admission(settings.max_active_requests)  # api/admission.py
    problems.install(app)
    _mount(app)
    _docs(app)
    # Innermost first: a body is read only once its caller is known (api/bodies.py).
    app.add_middleware(AuthenticateFirst, prefix="/api/")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        BodySizeLimit, default_limit=settings.max_request_bytes, limits=_limits(settings)
    )
    return app


API_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Atende API</title>
  <link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="/static/swagger/swagger-ui-bundle.js"></script>
  <script src="/static/swagger/start.js"></script>
</body>
</html>
"""
"""The Swagger UI page, started by a file rather than an inline script (the pages' CSP)."""


def _docs(app: FastAPI) -> None:
    from fastapi.responses import HTMLResponse

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(API_DOCS_PAGE, headers={"Cache-Control": "no-store"})


def _limits(settings: Settings) -> dict[str, int]:
    """Larger bodies for the routes that take files or bulk imports."""
    return {
        f"{API_PREFIX}/tickets/import": settings.max_import_bytes,
        "attachments": settings.max_attachment_bytes + 64 * 1024,
    }


def _mount(app: FastAPI) -> None:
    from atende.api import agents as agents_api
    from atende.api import attachments as attachments_api
    from atende.api import audit as audit_api
    from atende.api import calendars as calendars_api
    from atende.api import channel_webhooks
    from atende.api import channels as channels_api
    from atende.api import chat as chat_api
    from atende.api import customers as customers_api
    from atende.api import inbound as inbound_api
    from atende.api import jobs as jobs_api
    from atende.api import notifications as notifications_api
    from atende.api import presence as presence_api
    from atende.api import queues as queues_api
    from atende.api import replycheck as replycheck_api
    from atende.api import reports as reports_api
    from atende.api import routing as routing_api
    from atende.api import rules as rules_api
    from atende.api import sla as sla_api
    from atende.api import surveys as surveys_api
    from atende.api import tickets as tickets_api
    from atende.api import visits as visits_api
    from atende.api import webhooks as webhooks_api
    from atende.web import chat as web_chat
    from atende.web import chat_live as web_chat_live
    from atende.web import routes as web_routes

    for router in (
        agents_api.router,
        customers_api.router,
        queues_api.router,
        tickets_api.router,
        attachments_api.router,
        calendars_api.router,
        sla_api.router,
        jobs_api.router,
        notifications_api.router,
        routing_api.router,
        presence_api.router,
        rules_api.router,
        replycheck_api.router,
        stream_api.router,
        webhooks_api.router,
        inbound_api.router,
        visits_api.router,
        audit_api.router,
        reports_api.router,
        surveys_api.router,
        chat_api.router,
        channels_api.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web_chat.router)  # the chat visitor's side (/chat/...)
    app.include_router(web_chat_live.router)  # ... their files and stream
    app.include_router(channel_webhooks.router)  # Meta and Telegram call /webhooks/...
    app.include_router(web_routes.router)
