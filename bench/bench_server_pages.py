"""Read latency of the findings server with 1,000,000 findings in PostgreSQL.

Issue 7's target: the findings list and the overview page answer with p95 under
300 ms, load generated from a second process on loopback. Steps:

1. Create a scratch PostgreSQL database, migrate it, and fill it server-side with
   ``generate_series`` (seconds, not an hour of uploads): projects, assets, findings
   with realistic spreads of severity, status, priority, KEV and due dates, one source
   per finding and the "first reported"/"fixed" audit rows the overview's trend reads.
2. Create an admin user with an API token; ``VACUUM ANALYZE``.
3. Start ``secloop server`` (uvicorn) on 127.0.0.1 in a subprocess.
4. Run this file's ``load`` mode in another subprocess: it logs in once for a
   dashboard session, then sends each scenario's requests with a few concurrent
   clients and prints p50/p95/p99 per scenario.

    .venv/bin/python bench/bench_server_pages.py                      # 1,000,000 findings
    .venv/bin/python bench/bench_server_pages.py --findings 200000 --requests 100
    .venv/bin/python bench/bench_server_pages.py --database-url URL   # an already filled DB
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_ingest import postgres_url

PROJECTS = 10
ASSETS_PER_PROJECT = 100
USER = "bench"
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a scratch database's user
TARGET_P95_MS = 300.0

#: (label, path): typical filters and pages of the findings list, and the overview.
SCENARIOS = (
    ("findings: all, page 1", "/api/v1/findings?per_page=50"),
    ("findings: project, open, critical+high, page 3",
     "/api/v1/findings?project=bench-3&status=open&severity=CRITICAL&severity=HIGH"
     "&per_page=50&page=3"),
    ("findings: project, sort priority, 100/page", "/api/v1/findings?project=bench-5"
     "&sort=priority&per_page=100"),
    ("findings: KEV, page 2", "/api/v1/findings?kev=true&per_page=50&page=2"),
    ("findings: tool grype, project, page 1", "/api/v1/findings?tool=grype&project=bench-1"),
    ("findings: P1+P2 overdue", "/api/v1/findings?priority=P1&priority=P2&overdue=true"),
    ("findings: text search", "/api/v1/findings?project=bench-7&q=pkg-4242"),
    ("overview page (dashboard)", "/"),
)  # fmt: skip

# Server-side fill; :n is the number of findings. Findings are spread evenly over
# projects and assets; 70 % are active, 1 % are in KEV.
_FILL = (
    "INSERT INTO projects (name, created_at)"
    " SELECT 'bench-' || p, now() - interval '90 days' FROM generate_series(0, %(p)s - 1) p",
    "INSERT INTO assets (project_id, name, kind, created_at, exposure)"
    " SELECT pr.id, 'repo-' || a, 'repository', pr.created_at,"
    "  CASE WHEN a %% 10 = 0 THEN 'internet' ELSE 'unknown' END"
    " FROM projects pr CROSS JOIN generate_series(0, %(a)s - 1) a",
    "INSERT INTO scans (project_id, asset_id, source, format, tool, tool_version, target,"
    "  uploaded_by, status, complete, created_at, finished_at, findings_total, findings_new,"
    "  findings_merged, findings_reopened, findings_fixed, findings_suppressed,"
    "  coverage_scanned, coverage_skipped, coverage_failed, dropped)"
    " SELECT project_id, id, 'bench', 'secloop', 'secloop', '0', name, 'bench', 'done', true,"
    "  created_at, created_at, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM assets",
    # The finding's day (0..29) stands for the scan that first reported it.
    "INSERT INTO findings (project_id, asset_id, kind, rule_id, title, message, severity,"
    "  status, fingerprint, location, package, package_version, advisory_id, fixed_versions,"
    "  suppressed, first_seen_at, last_seen_at, last_scan_id, updated_at, cve_id, cvss_score,"
    "  kev, epss, epss_percentile, priority_score, priority_level, priority_reason,"
    "  due_date, fixed_at)"
    " SELECT a.project_id, a.id, 'vulnerability', 'CVE-2024-' || lpad((g %% 50000)::text, 6, '0'),"
    "  'CVE-2024-' || lpad((g %% 50000)::text, 6, '0') || ' in pkg-' || (g %% 9973),"
    "  'synthetic', g %% 5,"
    "  (ARRAY['new','open','open','open','open','open','triaged','fixed','fixed',"
    "         'false_positive'])[1 + (g / 7) %% 10],"
    "  md5(g::text), 'services/s' || (g %% 200) || '/requirements.txt', 'pkg-' || (g %% 9973),"
    "  '1.0.0', 'CVE-2024-' || lpad((g %% 50000)::text, 6, '0'), '1.0.1', false,"
    "  timestamptz '2026-01-01' + ((g %% 30) || ' days')::interval,"
    "  timestamptz '2026-01-31', 1, timestamptz '2026-01-31',"
    "  'CVE-2024-' || lpad((g %% 50000)::text, 6, '0'), (g %% 100) / 10.0,"
    "  g %% 100 = 0, (g %% 1000) / 1000.0, (g %% 1000) / 1000.0,"
    "  ((g::bigint * 7919) %% 1000)::int, 1 + (g %% 5), 'synthetic priority',"
    "  date '2026-01-01' + (g %% 120), NULL"
    " FROM generate_series(0, %(n)s - 1) g"
    " JOIN assets a ON a.id = 1 + g %% (%(p)s * %(a)s)",
    "UPDATE findings SET fixed_at = last_seen_at WHERE status = 'fixed'",
    "INSERT INTO finding_sources (finding_id, project_id, tool, scanner, rule_id, fingerprint,"
    "  reason, present, last_scan_id)"
    " SELECT id, project_id, (ARRAY['secloop','trivy','grype'])[1 + id %% 3], 'vuln', rule_id,"
    "  fingerprint, 'first reported', status <> 'fixed', 1 FROM findings",
    # What the text search reads, as the ingest writes it (migration 0006).
    "INSERT INTO finding_search (finding_id, text)"
    " SELECT id, title || chr(31) || rule_id || chr(31) || location || chr(31)"
    "  || coalesce(package, '') || chr(31) || coalesce(cve_id, '') FROM findings",
    'INSERT INTO status_changes (finding_id, "user", at, old_status, new_status, reason)'
    " SELECT id, 'secloop', first_seen_at, NULL, 'new', 'first reported' FROM findings",
    'INSERT INTO status_changes (finding_id, "user", at, old_status, new_status, reason)'
    " SELECT id, 'secloop', fixed_at, 'open', 'fixed', 'no longer reported' FROM findings"
    " WHERE status = 'fixed'",
)


def fill(url: str, findings: int) -> str:
    """Migrate and fill the database at ``url``; return a new admin's API token."""
    from secloop.server.access import parse_scopes
    from secloop.server.storage import accounts
    from secloop.server.storage.db import make_engine, session_factory, transaction, upgrade

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    params = {"n": findings, "p": PROJECTS, "a": ASSETS_PER_PROJECT}
    with engine.begin() as connection:
        for statement in _FILL:
            connection.exec_driver_sql(statement, params)
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as session:
        user = accounts.create_user(session, USER, PASSWORD, now=now, is_admin=True)
        token = accounts.create_token(
            session, user, name="bench", scopes=parse_scopes(("read",)), now=now
        ).secret
    with engine.connect() as connection:
        # The steady state autovacuum reaches: statistics, and a visibility map for
        # index-only counts (a bulk load leaves every page "not all-visible").
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    print(f"filled {findings} findings in {time.perf_counter() - started:.1f} s")
    return token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(url: str, data_dir: Path) -> Iterator[str]:
    """``secloop server`` on a free loopback port until the block ends."""
    import httpx

    port = _free_port()
    env = {**os.environ, "SECLOOP_SERVER_DATA_DIR": str(data_dir)}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "secloop", "server", "--database-url", url, "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"the server did not start; see {data_dir / 'server.log'}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


async def _login(client: Any) -> None:
    form = await client.get("/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf": csrf}
    )
    if answer.status_code != 303:
        raise SystemExit(f"dashboard login failed: HTTP {answer.status_code}")


async def _scenario(base: str, token: str, path: str, requests: int, clients: int) -> list[float]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        if not path.startswith("/api/"):
            await _login(client)
        await client.get(path)  # warm the connection, not timed
        queue: asyncio.Queue[None] = asyncio.Queue()
        for _ in range(requests):
            queue.put_nowait(None)
        timings: list[float] = []

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                answer = await client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {answer.status_code} {answer.text[:200]}")

        await asyncio.gather(*(worker() for _ in range(clients)))
    return timings


def load(base: str, token: str, requests: int, clients: int) -> None:
    """The load-generating process: one JSON line of timings per scenario."""
    for label, path in SCENARIOS:
        timings = asyncio.run(_scenario(base, token, path, requests, clients))
        print(json.dumps({"label": label, "timings": timings}), flush=True)


def report(lines: list[str]) -> bool:
    """Print p50/p95/p99 per scenario; whether every p95 is under the target."""
    print(f"{'scenario':48} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    ok = True
    for line in lines:
        result = json.loads(line)
        timings = result["timings"]
        p95 = percentile(timings, 0.95)
        ok = ok and p95 < TARGET_P95_MS
        print(
            f"{result['label']:48} {len(timings):>5} {percentile(timings, 0.50):8.1f} "
            f"{p95:8.1f} {percentile(timings, 0.99):8.1f}"
        )
    return ok


def run(url: str, token: str, requests: int, clients: int) -> bool:
    with tempfile.TemporaryDirectory() as directory, server(url, Path(directory)) as base:
        generator = subprocess.run(
            [sys.executable, __file__, "load", "--base", base, "--token", token,
             "--requests", str(requests), "--clients", str(clients)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if generator.returncode != 0:
            raise SystemExit(f"load generator failed: {generator.stderr[-2000:]}")
        return report(generator.stdout.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=("bench", "load"), default="bench")
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="per scenario")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections")
    parser.add_argument("--database-url", help="use this filled database (with --token)")
    parser.add_argument("--token", help="API token for --database-url / load mode")
    parser.add_argument("--base", help="server URL (load mode)")
    args = parser.parse_args()
    if args.mode == "load":
        load(args.base, args.token, args.requests, args.clients)
        return
    if args.database_url:
        ok = run(args.database_url, args.token, args.requests, args.clients)
    else:
        with postgres_url() as url:
            token = fill(url, args.findings)
            ok = run(url, token, args.requests, args.clients)
    print(f"p95 target {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
