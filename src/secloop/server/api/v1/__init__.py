"""API version 1: every route requires the API token when one is configured."""

from fastapi import APIRouter, Depends

from secloop.server.api.v1 import findings, projects, scans, sla
from secloop.server.api.v1.deps import require_token

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
router.include_router(scans.router)
router.include_router(projects.router)
router.include_router(findings.router)
router.include_router(sla.router)

__all__ = ["router"]
