"""How reachable a workload is, derived from the manifests that deploy it.

A vulnerability in a pod that an Ingress serves to the internet matters more than the
same one in a batch job nothing can connect to. The Kubernetes scanner links the
objects of one scan (Ingresses and Gateway API routes to Services, Services to the
workloads their selectors pick, host networking and host ports) and records, per
workload, the widest audience that can reach it and every path that explains why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from secloop.core.location import KubernetesResource

__all__ = ["Exposure", "WorkloadExposure", "widest"]


class Exposure(StrEnum):
    """Who can open a connection to a workload; ``UNKNOWN`` when nothing says.

    Ordered by :attr:`rank`: ``INTERNET`` (an Ingress, a Gateway API route or a
    LoadBalancer Service) > ``NODE`` (a NodePort Service, ``hostNetwork``, a
    ``hostPort``: whoever reaches a node) > ``CLUSTER`` (a ClusterIP Service: other
    pods) > ``NONE`` (no Service selects it).
    """

    INTERNET = "internet"
    NODE = "node"
    CLUSTER = "cluster"
    NONE = "none"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Exposure.INTERNET: 4,
    Exposure.NODE: 3,
    Exposure.CLUSTER: 2,
    Exposure.NONE: 1,
    Exposure.UNKNOWN: 0,
}


def widest(levels: tuple[Exposure, ...] | list[Exposure]) -> Exposure:
    """The highest-ranked level; ``NONE`` for no levels at all."""
    return max(levels, key=lambda level: level.rank, default=Exposure.NONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadExposure:
    """One workload, the images it runs, its exposure and the paths that explain it.

    Each path reads from the outside in, for example
    ``Ingress shop/web (host shop.example.com) → Service shop/web:80 → Deployment shop/web``.
    A reachable level (internet, node, cluster) has at least one path; ``NONE`` and
    ``UNKNOWN`` have none.
    """

    resource: KubernetesResource
    images: tuple[str, ...]
    level: Exposure
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        reachable = self.level.rank > Exposure.NONE.rank
        if reachable != bool(self.paths):
            raise ValueError(
                f"{self.resource.display}: exposure {self.level} with {len(self.paths)} paths"
            )
