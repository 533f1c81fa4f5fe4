"""Docker credential helpers (``credsStore``, ``credHelpers``): real executables written
by the test into a private PATH directory, speaking the docker-credential-helpers
protocol (``get``, server address on stdin, JSON on stdout)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from secloop.scan.artifact.image.auth import Credentials, docker_config_credentials
from secloop.scan.artifact.image.credhelper import run_credential_helper
from secloop.scan.artifact.image.interface import CredentialHelperError
from secloop.scan.artifact.image.reference import DOCKER_HUB

SECRET = "helper-s3cret-value"

# A helper as docker-credential-pass or -secretservice behave: one known server, the
# documented "not found" answer for any other; it logs its argv and stdin for the test.
STORE = f"""#!/bin/sh
read -r server
echo "$* $server" >> "$HELPER_LOG"
case "$server" in
  registry.test|https://index.docker.io/v1/)
    printf '{{"ServerURL":"%s","Username":"alice","Secret":"{SECRET}"}}' "$server";;
  *) echo "credentials not found in native keychain"; exit 1;;
esac
"""
ECR = """#!/bin/sh
read -r server
printf '{"ServerURL":"%s","Username":"AWS","Secret":"ecr-token"}' "$server"
"""


def _install(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / f"docker-credential-{name}"
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _install(bin_dir, "teststore", STORE)
    _install(bin_dir, "ecr-login", ECR)
    return {
        "DOCKER_CONFIG": str(tmp_path),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HELPER_LOG": str(tmp_path / "helper.log"),
    }


def _config(env: dict[str, str], document: dict[str, object]) -> None:
    (Path(env["DOCKER_CONFIG"]) / "config.json").write_text(json.dumps(document))


def _calls(env: dict[str, str]) -> list[str]:
    log = Path(env["HELPER_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def test_creds_store_answers_for_every_host(env: dict[str, str]) -> None:
    _config(env, {"credsStore": "teststore", "auths": {"registry.test": {}}})
    assert docker_config_credentials("registry.test", env) == Credentials("alice", SECRET)
    assert docker_config_credentials(DOCKER_HUB, env) == Credentials("alice", SECRET)
    # "credentials not found": anonymous, as with Docker
    assert docker_config_credentials("other.test", env) is None
    assert _calls(env) == [
        "get registry.test",
        "get https://index.docker.io/v1/",
        "get other.test",
    ]


def test_cred_helpers_win_over_the_store_and_auths(env: dict[str, str]) -> None:
    _config(
        env,
        {
            "credsStore": "teststore",
            "credHelpers": {"123.dkr.ecr.test": "ecr-login"},
            "auths": {"123.dkr.ecr.test": {"username": "file", "password": "pw"}},
        },
    )
    assert docker_config_credentials("123.dkr.ecr.test", env) == Credentials("AWS", "ecr-token")
    assert docker_config_credentials("registry.test", env) == Credentials("alice", SECRET)


def test_auths_are_used_when_no_helper_is_configured(env: dict[str, str]) -> None:
    _config(
        env,
        {
            "credHelpers": {"a.test": "ecr-login"},
            "auths": {"b.test": {"username": "u", "password": "p"}},
        },
    )
    assert docker_config_credentials("b.test", env) == Credentials("u", "p")
    assert _calls(env) == []


def test_a_missing_helper_is_an_error_that_names_it(env: dict[str, str]) -> None:
    _config(env, {"credHelpers": {"registry.test": "gone"}})
    with pytest.raises(CredentialHelperError) as caught:
        docker_config_credentials("registry.test", env)
    message = str(caught.value)
    assert "docker-credential-gone is not on PATH" in message
    assert "credHelpers['registry.test']" in message
    assert "config.json" in message


@pytest.mark.parametrize("name", ["../../bin/sh", "/bin/sh", "a/b", ".hidden", ".."])
def test_a_helper_name_with_a_path_is_refused(env: dict[str, str], name: str) -> None:
    _config(env, {"credsStore": name})
    with pytest.raises(CredentialHelperError, match="is not a credential helper name"):
        docker_config_credentials("registry.test", env)


def test_a_failing_helper_reports_status_and_message_never_the_secret(
    env: dict[str, str],
) -> None:
    _install(
        Path(env["PATH"].split(os.pathsep)[0]),
        "broken",
        f"#!/bin/sh\necho 'keychain is locked' >&2\necho '{SECRET}'\nexit 3\n",
    )
    _config(env, {"credsStore": "broken"})
    with pytest.raises(CredentialHelperError) as caught:
        docker_config_credentials("registry.test", env)
    message = str(caught.value)
    assert "exit status 3: keychain is locked" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("not json", "not JSON with Username and Secret"),
        ('{"Username": "alice"}', "not JSON with Username and Secret"),
        ('["alice"]', "not JSON with Username and Secret"),
        ('{"Username": "<token>", "Secret": "refresh"}', "identity token"),
    ],
)
def test_unusable_answers_are_errors(env: dict[str, str], output: str, reason: str) -> None:
    _install(Path(env["PATH"].split(os.pathsep)[0]), "odd", f"#!/bin/sh\necho '{output}'\n")
    _config(env, {"credsStore": "odd"})
    with pytest.raises(CredentialHelperError, match=reason):
        docker_config_credentials("registry.test", env)


def test_a_stalled_helper_times_out(env: dict[str, str]) -> None:
    _install(Path(env["PATH"].split(os.pathsep)[0]), "stall", "#!/bin/sh\nexec sleep 30\n")
    with pytest.raises(CredentialHelperError, match=r"did not answer within 0.3 s"):
        run_credential_helper(
            "stall", "registry.test", environ=env, origin="test", timeout_seconds=0.3
        )


def test_a_helper_that_cannot_be_executed_is_an_error(env: dict[str, str]) -> None:
    bin_dir = Path(env["PATH"].split(os.pathsep)[0])
    _install(bin_dir, "badexec", "not a script at all\n")  # no #! line: ENOEXEC
    with pytest.raises(CredentialHelperError, match=r"cannot run .*docker-credential-badexec"):
        run_credential_helper("badexec", "registry.test", environ=env, origin="test")


def test_the_answer_does_not_print_its_secret(env: dict[str, str]) -> None:
    answer = run_credential_helper("teststore", "registry.test", environ=env, origin="test")
    assert answer is not None
    assert answer.secret == SECRET
    assert SECRET not in repr(answer)


def test_docker_hub_helper_keys_and_unusable_configs(env: dict[str, str]) -> None:
    _config(env, {"credHelpers": {"index.docker.io": "teststore"}})
    assert docker_config_credentials(DOCKER_HUB, env) == Credentials("alice", SECRET)
    assert _calls(env) == ["get https://index.docker.io/v1/"]
    (Path(env["DOCKER_CONFIG"]) / "config.json").write_text('["not", "an", "object"]')
    assert docker_config_credentials("registry.test", env) is None
    _config(env, {"credsStore": "", "auths": "not a map"})
    assert docker_config_credentials("registry.test", env) is None
