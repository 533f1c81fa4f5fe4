"""``secloop intel update`` against fake KEV and EPSS feeds served on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli.intel import intel_group
from secloop.server.errors import IntelError
from secloop.server.intel import FeedLimits, FeedSource, fetch, parse_epss, parse_kev, update
from secloop.server.storage.db import make_engine, session_factory, upgrade
from tests.unit.server.conftest import findings, make_client, upload
from tests.unit.server.reports import trivy_vulns

KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2024.05.02",
    "dateReleased": "2024-05-02T14:00:00.000Z",
    "count": 3,
    "vulnerabilities": [
        {
            "cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
            "vulnerabilityName": "Apache Log4j2 RCE", "dateAdded": "2021-12-10",
            "dueDate": "2021-12-24", "knownRansomwareCampaignUse": "Known",
        },
        {"cveID": "not-a-cve", "dateAdded": "2021-12-10"},
        {"cveID": "CVE-2024-0001", "dateAdded": "bad date"},
    ],
}  # fmt: skip
EPSS_CSV = (
    "#model_version:v2023.03.01,score_date:2024-05-02T00:00:00+0000\n"
    "cve,epss,percentile\n"
    "CVE-2021-44228,0.97565,0.99996\n"
    "CVE-2022-0002,0.00043,0.05\n"
    "CVE-2022-0003,1.5,0.5\n"
)


class _Feeds(BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}  # noqa: RUF012 - set per test server

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        if body is not None:
            self.wfile.write(body)

    def log_message(self, *_args: object) -> None:  # keep pytest output clean
        return


@pytest.fixture
def feeds() -> Iterator[str]:
    routes = {
        "/kev.json": json.dumps(KEV).encode(),
        "/epss.csv.gz": gzip.compress(EPSS_CSV.encode()),
        "/big": b"x" * 5000,
        "/bomb.csv.gz": gzip.compress(b"0" * 200_000),
        "/broken.json": b"{not json",
    }
    handler = type("Handler", (_Feeds,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


REPORT = trivy_vulns(("CVE-2021-44228", "log4j-core", "2.14.0"), ("CVE-2022-0002", "x", "1"))


def test_cli_update_loads_both_feeds_and_reprioritises(tmp_path: Path, feeds: str) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with make_client(tmp_path) as client:
        upload(client, REPORT)
        result = CliRunner().invoke(
            intel_group,
            ["update", "--kev-url", f"{feeds}/kev.json", "--epss-url", f"{feeds}/epss.csv.gz",
             "--database-url", url],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "kev: 1 entries (as of 2024-05-02T14:00:00+00:00; 2 skipped)" in result.output
        assert "epss: 2 entries (as of 2024-05-02T00:00:00+00:00; 1 skipped)" in result.output
        (top, other) = findings(client, sort="priority")
        assert top["cve_id"] == "CVE-2021-44228"
        assert top["kev"] is True
        assert (top["epss"], top["epss_percentile"]) == (0.97565, 0.99996)
        assert (
            "in KEV since 2021-12-10, due 2021-12-24 · EPSS 0.98 (99th pct)"
            in (top["priority_explanation"])
        )
        assert top["due_date"] == "2021-12-24"  # KEV's date is sooner than first seen + 7 d
        assert top["overdue"] is True
        assert other["kev"] is False
        feeds_out = {f["name"]: f for f in client.get("/api/v1/intel").json()}
        assert feeds_out["kev"]["version"] == "2024.05.02"
        assert feeds_out["epss"]["entries"] == 2
        status = CliRunner().invoke(intel_group, ["status", "--database-url", url])
        assert "kev: 1 entries, as of 2024-05-02" in status.output


def test_exposure_change_makes_the_kev_finding_p1(tmp_path: Path, feeds: str) -> None:
    with make_client(tmp_path) as client:
        upload(client, REPORT)
        sessions = client.app.state.secloop.sessions  # type: ignore[attr-defined]
        update(sessions, kev=FeedSource(url=f"{feeds}/kev.json"), epss=None)
        (asset,) = client.get("/api/v1/assets").json()
        assert asset["exposure"] == "unknown"
        response = client.patch(f"/api/v1/assets/{asset['id']}", json={"exposure": "internet"})
        assert response.status_code == 200, response.text
        assert response.json()["exposure"] == "internet"
        p1 = findings(client, priority="P1")
        assert [f["cve_id"] for f in p1] == ["CVE-2021-44228"]
        assert p1[0]["priority_explanation"].endswith("internet-facing → P1 (" + str(
            p1[0]["priority"]) + ")")  # fmt: skip
        assert findings(client, kev="true")[0]["id"] == p1[0]["id"]
        bad = client.patch(f"/api/v1/assets/{asset['id']}", json={"exposure": "space"})
        assert bad.status_code == 422


def test_a_bad_feed_changes_nothing(tmp_path: Path, feeds: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'i.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    update(sessions, kev=FeedSource(url=f"{feeds}/kev.json"), epss=None)
    with pytest.raises(IntelError, match="not a KEV JSON catalogue"):
        update(sessions, kev=FeedSource(url=f"{feeds}/broken.json"), epss=None)
    with pytest.raises(IntelError, match="HTTP 404"):
        update(sessions, kev=FeedSource(url=f"{feeds}/missing"), epss=None)
    from secloop.server.storage.intel_store import feed_status

    with sessions() as session:
        (kev,) = feed_status(session)
    assert kev.entries == 1
    engine.dispose()


def test_downloads_and_decompression_are_bounded(feeds: str) -> None:
    small = FeedLimits(max_download_bytes=1000, max_decompressed_bytes=10_000)
    with pytest.raises(IntelError, match="download limit"):
        fetch(f"{feeds}/big", small)
    data = fetch(f"{feeds}/bomb.csv.gz", small)
    with pytest.raises(IntelError, match="decompresses to more than"):
        parse_epss(data, "bomb", small)
    with pytest.raises(IntelError, match="only http"):
        fetch("file:///etc/passwd", small)


def test_parsers_reject_wrong_shapes_and_accept_plain_csv() -> None:
    limits = FeedLimits()
    with pytest.raises(IntelError, match="no `vulnerabilities` list"):
        parse_kev(b'{"vulnerabilities": 3}', "k", limits)
    with pytest.raises(IntelError, match="not an EPSS CSV"):
        parse_epss(b"a,b,c\n", "e", limits)
    with pytest.raises(IntelError, match="truncated gzip"):
        parse_epss(gzip.compress(EPSS_CSV.encode())[:-12], "e", limits)
    plain = parse_epss(b"cve,epss,percentile\nCVE-2020-1234,0.5,0.9\n", "e", limits)
    assert plain.scores == {"CVE-2020-1234": (0.5, 0.9)}
    assert plain.as_of is None


def test_offline_files_work_without_network(tmp_path: Path) -> None:
    kev_file = tmp_path / "kev.json"
    kev_file.write_text(json.dumps(KEV), encoding="utf-8")
    epss_file = tmp_path / "epss.csv.gz"
    epss_file.write_bytes(gzip.compress(EPSS_CSV.encode()))
    url = f"sqlite:///{tmp_path / 'o.db'}"
    result = CliRunner().invoke(
        intel_group,
        ["update", "--kev-file", str(kev_file), "--epss-file", str(epss_file),
         "--database-url", url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(kev_file) in result.output
    nothing = CliRunner().invoke(
        intel_group, ["update", "--no-kev", "--no-epss", "--database-url", url]
    )
    assert nothing.exit_code != 0
