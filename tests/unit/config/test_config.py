from __future__ import annotations

from pathlib import Path

import pytest

from secloop.config import Settings, find_config, load_config
from secloop.core.errors import ConfigError
from secloop.core.severity import Severity
from secloop.output.interface import OutputFormat


def test_yaml_config_is_typed(tmp_path: Path) -> None:
    path = tmp_path / "secloop.yaml"
    path.write_text(
        "scanners: [secret]\nseverity: [high, CRITICAL]\nfail_on: medium\nexit_code: 4\n"
        "format: sarif\noutput: out.sarif\nignore_unfixed: true\nexclude: [vendor/]\n"
        "gitignore: false\nallow_empty: true\nmax_file_size: 1000\nignore_file: ig.yaml\n"
    )
    settings = load_config(path)
    assert settings == Settings(
        source=str(path),
        scanners=("secret",),
        severity=(Severity.HIGH, Severity.CRITICAL),
        fail_on=Severity.MEDIUM,
        exit_code=4,
        format=OutputFormat.SARIF,
        output="out.sarif",
        ignore_unfixed=True,
        ignore_file="ig.yaml",
        exclude=("vendor/",),
        gitignore=False,
        allow_empty=True,
        max_file_size=1000,
    )


def test_pyproject_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.secloop]\nfail_on = "HIGH"\n')
    assert find_config(tmp_path) == path
    assert load_config(path).fail_on is Severity.HIGH


def test_find_config_prefers_secloop_yaml_and_ignores_unrelated_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(tmp_path) is None
    (tmp_path / ".secloop.yaml").write_text("fail_on: LOW\n")
    assert find_config(tmp_path) == tmp_path / ".secloop.yaml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail-on: HIGH\n", "unknown key 'fail-on'; valid keys: scanners, severity, fail_on"),
        ("fail_on: severe\n", "fail_on: .*unknown severity 'severe'"),
        ("severity: [HIGH, bad]\n", "unknown severity 'bad'"),
        ("format: xml\n", "format: Input should be 'table', 'json', 'sarif', 'junit', "),
        ("exit_code: 300\n", "exit_code"),
        ("- just\n- a list\n", "expected a mapping"),
        ("fail_on: [\n", "invalid YAML at line 2"),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "secloop.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_invalid_toml_and_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.secloop\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_empty_yaml_is_an_empty_config(tmp_path: Path) -> None:
    path = tmp_path / "secloop.yaml"
    path.write_text("")
    assert load_config(path) == Settings(source=str(path))


def test_models_are_built_only_when_a_file_is_read(tmp_path: Path) -> None:
    """Finding no configuration must not build the pydantic models (start-up time)."""
    import subprocess
    import sys

    (tmp_path / "secloop.yaml").write_text("fail_on: high\n")
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from secloop.config import find_config, load_config\n"
        f"assert find_config(Path({str(tmp_path / 'empty')!r})) is None\n"
        "print('secloop.config.model' in sys.modules)\n"
        f"load_config(Path({str(tmp_path / 'secloop.yaml')!r}))\n"
        "print('secloop.config.model' in sys.modules)\n"
    )
    (tmp_path / "empty").mkdir()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
