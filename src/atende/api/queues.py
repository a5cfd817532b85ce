from __future__ import annotations

from fastapi import APIRouter

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.auth.access import ensure_staff
from atende.queues import repository
from atende.queues import service as queue_service
from atende.queues.schemas import QueueIn, QueueOut, QueuePatch
from atende.workflows import routing as routing_workflows

router = APIRouter(tags=["queues"])


@router.get("/queues", response_model=list[QueueOut])
def list_queues(session: DbSession, actor: CurrentActor) -> list[QueueOut]:
    ensure_staff(actor)
    return [QueueOut(**v) for v in queue_service.view(session, list(repository.queues(session)))]


@router.post("/queues", response_model=QueueOut, status_code=201)
def create_queue(body: QueueIn, session: DbSession, actor: CurrentActor) -> QueueOut:
    queue = queue_service.create_queue(session, actor=actor, data=body.model_dump())
    return QueueOut(**queue_service.view(session, [queue])[0])


@router.get("/queues/{queue_id}", response_model=QueueOut)
def get_queue(queue_id: PathId, session: DbSession, actor: CurrentActor) -> QueueOut:
    queue = queue_service.get_queue(session, actor=actor, queue_id=queue_id)
    return QueueOut(**queue_service.view(session, [queue])[0])


@router.patch("/queues/{queue_id}", response_model=QueueOut)
def update_queue(
    queue_id: PathId, body: QueuePatch, session: DbSession, actor: CurrentActor, now: Now
) -> QueueOut:
    queue = routing_workflows.update_queue(
        session,
        actor=actor,
        queue_id=queue_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return QueueOut(**queue_service.view(session, [queue])[0])
