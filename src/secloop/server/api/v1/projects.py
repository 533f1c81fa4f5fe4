"""``/api/v1/projects``: the projects findings are kept in, with their counts."""

from __future__ import annotations

from fastapi import APIRouter

from secloop.server.api.v1.deps import State
from secloop.server.api.v1.schemas import ProjectOut
from secloop.server.storage import repository

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("", response_model=list[ProjectOut])
def list_projects(state: State) -> list[ProjectOut]:
    with state.sessions() as session:
        return [
            ProjectOut(
                id=p.id, name=p.name, created_at=p.created_at, assets=p.assets, scans=p.scans,
                open_findings=p.open_findings,
            )
            for p in repository.list_projects(session)
        ]  # fmt: skip
