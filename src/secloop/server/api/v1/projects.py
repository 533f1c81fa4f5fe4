"""``/api/v1/projects``: the projects the actor may see, with their counts; deletion."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from secloop.server.access import Action
from secloop.server.api.v1.deps import Actor, State, require_project
from secloop.server.api.v1.schemas import ProjectOut
from secloop.server.storage import repository
from secloop.server.storage.db import transaction

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("", response_model=list[ProjectOut])
def list_projects(state: State, actor: Actor) -> list[ProjectOut]:
    """Only the projects the actor has a role in (every project for a server admin)."""
    with state.sessions() as session:
        return [
            ProjectOut(
                id=p.id, name=p.name, created_at=p.created_at, assets=p.assets, scans=p.scans,
                open_findings=p.open_findings,
            )
            for p in repository.list_projects(session, actor.visible_projects())
        ]  # fmt: skip


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_project(name: str, state: State, actor: Actor) -> Response:
    """Delete the project and everything in it: its assets, scans, findings and members."""
    with transaction(state.sessions) as session:
        repository.delete_project(session, require_project(session, actor, Action.MANAGE, name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
