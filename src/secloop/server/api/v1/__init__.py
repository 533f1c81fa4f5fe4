"""API version 1: every route authenticates (:func:`deps.authenticate`) and checks its action."""

from fastapi import APIRouter, Depends

from secloop.server.api.v1 import access, findings, jobs, projects, scans, sla
from secloop.server.api.v1.deps import authenticate

router = APIRouter(prefix="/api/v1", dependencies=[Depends(authenticate)])
router.include_router(scans.router)
router.include_router(projects.router)
router.include_router(findings.router)
router.include_router(sla.router)
router.include_router(access.router)
router.include_router(jobs.router)

__all__ = ["router"]
