"""The HTTP API on SQLite: upload paths, errors, auth, filters, triage, comments, OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import corpus_path
from tests.unit.server.conftest import add_user, bearer, findings, make_client, upload, wait_for_job
from tests.unit.server.reports import trivy_vulns

REPORT = trivy_vulns(("CVE-1", "django", "3.2.9"), ("CVE-2", "requests", "2.0.0"))


def test_health(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"


def test_multipart_upload_detects_the_format_and_returns_counts(client: TestClient) -> None:
    scan = upload(client, REPORT)
    assert scan["status"] == "done"
    assert scan["format"] == "trivy"
    assert scan["counts"]["total"] == scan["counts"]["new"] == 2
    assert client.get(scan["status_url"]).json()["id"] == scan["id"]
    (project,) = client.get("/api/v1/projects").json()
    assert (project["name"], project["scans"], project["open_findings"]) == ("demo", 1, 2)


def test_json_body_upload(client: TestClient) -> None:
    body = {"project": "p", "asset": "img", "format": "trivy", "report": json.loads(REPORT)}
    response = client.post("/api/v1/scans", json=body, headers={"X-Secloop-User": "ci"})
    assert response.status_code == 201, response.text
    assert response.json()["uploaded_by"] == "ci"
    assert len(findings(client, project="p")) == 2


def test_reimport_of_the_same_report_creates_no_duplicates(client: TestClient) -> None:
    upload(client, REPORT)
    again = upload(client, REPORT)
    assert again["counts"]["new"] == 0
    assert len(findings(client)) == 2
    detail = client.get(f"/api/v1/findings/{findings(client)[0]['id']}").json()
    assert len(detail["occurrences"]) == 2


def test_malformed_report_is_422_naming_the_file_and_nothing_is_written(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/v1/scans",
        files={"file": ("bad.json", b'{"SchemaVersion": 2, "Results": [{"Target": 5}]}')},
        data={"project": "demo", "format": "trivy"},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("bad.json: not a valid Trivy JSON report: ")
    assert findings(client) == []
    scans = client.get("/api/v1/scans/1").json()
    assert scans["status"] == "failed"
    assert "bad.json" in scans["error"]


def test_corpus_sample_in_the_wrong_format_is_422(client: TestClient) -> None:
    sample = corpus_path("defectdojo-scan-samples", "bandit", "one_vuln.json")
    response = client.post(
        "/api/v1/scans",
        files={"file": ("one_vuln.json", sample.read_bytes())},
        data={"project": "demo", "format": "grype"},
    )
    assert response.status_code == 422
    assert "one_vuln.json: not a valid Grype JSON report: matches" in response.json()["detail"]


def test_bad_requests_are_422(client: TestClient) -> None:
    no_file = client.post("/api/v1/scans", data={"project": "demo"}, files={"x": ("a", b"1")})
    assert no_file.status_code == 422
    no_project = client.post("/api/v1/scans", files={"file": ("r.json", REPORT)})
    assert "project" in no_project.json()["detail"]
    bad_format = client.post(
        "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p", "format": "x"}
    )
    assert "unknown format 'x'" in bad_format.json()["detail"]
    bad_body = client.post("/api/v1/scans", json={"report": {}})
    assert bad_body.status_code == 422
    assert "project" in bad_body.json()["detail"]
    bad_flag = client.post(
        "/api/v1/scans",
        files={"file": ("r.json", REPORT)},
        data={"project": "p", "full_scan": "maybe"},
    )
    assert bad_flag.status_code == 422


def test_oversized_upload_is_413(tmp_path: Path) -> None:
    with make_client(tmp_path, max_upload_bytes=100) as small:
        response = small.post(
            "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p"}
        )
        assert response.status_code == 413
        body = small.post("/api/v1/scans", json={"project": "p", "report": json.loads(REPORT)})
        assert body.status_code == 413


def test_large_upload_is_processed_in_the_background(tmp_path: Path) -> None:
    with make_client(tmp_path, async_threshold_bytes=10) as client:
        response = client.post(
            "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "p"}
        )
        assert response.status_code == 202
        assert response.headers["location"] == response.json()["job_url"]
        assert wait_for_job(client, response.json())["state"] == "done"
        done = client.get(response.json()["status_url"]).json()
        assert done["status"] == "done"
        assert done["counts"]["new"] == 2
        failed = client.post(
            "/api/v1/scans", files={"file": ("r.json", b'{"nope": 1}' * 3)}, data={"project": "p"}
        )
        assert failed.status_code == 202
        job = wait_for_job(client, failed.json())
        assert job["state"] == "failed"
        assert "cannot tell the report format" in job["error"]
        status = client.get(failed.json()["status_url"]).json()
        assert status["status"] == "failed"
        assert "cannot tell the report format" in status["error"]


def test_once_a_user_exists_every_api_call_needs_a_valid_token(client: TestClient) -> None:
    upload(client, REPORT)  # local mode: open, the actor is "local"
    assert client.get("/api/v1/scans/1").json()["uploaded_by"] == "local"
    token = add_user(client, "root", admin=True)
    assert client.get("/health").status_code == 200
    missing = client.get("/api/v1/projects")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    wrong = client.get("/api/v1/projects", headers=bearer("slp_nope"))
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "unknown API token")
    assert client.get("/api/v1/projects", headers={"Authorization": "Basic x"}).status_code == 401
    ok = client.get("/api/v1/projects", headers=bearer(token))
    assert [p["name"] for p in ok.json()] == ["demo"]
    # the header that named the actor in local mode is ignored: the token's user acts
    patched = client.patch(
        "/api/v1/findings/1", json={"status": "triaged"},
        headers={**bearer(token), "X-Secloop-User": "mallory"},
    )  # fmt: skip
    assert patched.status_code == 200
    history = client.get("/api/v1/findings/1/history", headers=bearer(token)).json()
    assert history[-1]["user"] == "root"


def test_filters_and_pagination(client: TestClient, tmp_path: Path) -> None:
    upload(client, REPORT, project="a")
    upload(client, trivy_vulns(("CVE-3", "flask", "1.0")), project="b", asset="svc")
    assert len(findings(client)) == 3
    assert len(findings(client, project="a")) == 2
    assert len(findings(client, asset="svc")) == 1
    assert len(findings(client, status="new", severity="HIGH", kind="vulnerability")) == 3
    assert findings(client, severity="LOW") == []
    assert len(findings(client, tool="trivy")) == 3
    assert findings(client, tool="grype") == []
    page = client.get("/api/v1/findings", params={"per_page": 2, "page": 2}).json()
    assert (page["total"], len(page["items"]), page["page"]) == (3, 1, 2)
    assert client.get("/api/v1/findings", params={"per_page": 0}).status_code == 422
    assert client.get("/api/v1/findings", params={"status": "bogus"}).status_code == 422


def test_triage_comment_and_history(client: TestClient) -> None:
    upload(client, REPORT)
    target = findings(client)[0]["id"]
    patched = client.patch(
        f"/api/v1/findings/{target}",
        json={"status": "triaged", "reason": "confirmed"},
        headers={"X-Secloop-User": "carol"},
    )
    assert patched.json()["status"] == "triaged"
    comment = client.post(f"/api/v1/findings/{target}/comments", json={"body": "fix in sprint 3"})
    assert comment.status_code == 201
    assert comment.json()["user"] == "local"
    detail = client.get(f"/api/v1/findings/{target}").json()
    assert [c["body"] for c in detail["comments"]] == ["fix in sprint 3"]
    history = client.get(f"/api/v1/findings/{target}/history").json()
    assert history[-1] == {
        **history[-1],
        "user": "carol",
        "old_status": "new",
        "new_status": "triaged",
        "reason": "confirmed",
    }


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert client.get("/api/v1/findings/999").status_code == 404
    assert client.get("/api/v1/findings/999/history").status_code == 404
    assert client.post("/api/v1/findings/999/comments", json={"body": "x"}).status_code == 404
    assert client.patch("/api/v1/findings/999", json={"status": "open"}).status_code == 404
    assert client.get("/api/v1/scans/999").status_code == 404


def test_request_bodies_reject_unknown_fields(client: TestClient) -> None:
    upload(client, REPORT)
    target = findings(client)[0]["id"]
    response = client.patch(f"/api/v1/findings/{target}", json={"status": "open", "x": 1})
    assert response.status_code == 422


def test_openapi_documents_both_upload_bodies(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    upload_op = spec["paths"]["/api/v1/scans"]["post"]
    assert set(upload_op["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    json_body = upload_op["requestBody"]["content"]["application/json"]["schema"]
    assert {"project", "report", "format", "full_scan"} <= set(json_body["properties"])
    assert {"/api/v1/findings", "/api/v1/findings/{finding_id}/history", "/health"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/findings"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/health"]["get"]
