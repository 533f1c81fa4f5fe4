"""The generic keyword rules: assignment syntaxes, quoting by language, comparisons, and
the filters that separate strong passwords from code and templates."""

from __future__ import annotations

import pytest

from secloop.scan.secrets import default_engine
from secloop.scan.secrets.filters import is_placeholder
from secloop.scan.secrets.rules.generic import generic_value_ok

#: A FAKE strong password with brackets and template-like characters in it.
STRONG = "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
TOKEN = "Qx7vR2mKp9LwZt4NcB8dHy3F"  # FAKE, 24 characters


def _rules(text: str, path: str | None = None) -> list[str]:
    return [f.rule_id for f in default_engine().scan(text, path=path)]


@pytest.mark.parametrize(
    ("line", "path"),
    [
        (f'password: "{STRONG}"', "values.yaml"),
        (f'{{"password": "{STRONG}"}}', "config.json"),
        (f"password = {STRONG}", "app.ini"),
        (f'<add key="db_password" value="{TOKEN}"/>', "web.config"),
        (f"export DB_PASSWORD={TOKEN}", "deploy.sh"),
        (f'password := "{STRONG}"', "main.go"),
        (f"db_pass_secure := {STRONG}", "main.go"),
        (f'String password = "{STRONG}";', "App.java"),
        (f'string password = @"{STRONG}";', "Program.cs"),
        (f'char secret_key[25] = "{TOKEN}";', "main.c"),
        (f"$config['password'] = '{STRONG}';", "settings.php"),
        (f'password "{STRONG}";', "nginx.conf"),
        (f'api_key = r"{TOKEN}"', "client.py"),
        (f"private_key: {TOKEN}", "settings.conf"),
        (f'if (password == "{STRONG}") {{', "auth.js"),
        (f'if (api_key !== "{TOKEN}") {{', "auth.ts"),
        (f'if ("{STRONG}" == admin_password):', "auth.py"),
        (f'if ("{TOKEN}" != secret) {{', "Auth.java"),
    ],
)
def test_credentials_in_every_syntax_are_found(line: str, path: str) -> None:
    assert [r for r in _rules(line + "\n", path) if r.startswith("SECRET-GENERIC")], line


@pytest.mark.parametrize(
    ("line", "path"),
    [
        # an unquoted right-hand side is an expression in these languages
        (f"password = {STRONG}", "settings.py"),
        (f"password => {STRONG}", "routes.js"),
        # a single quote holds one character in C
        (f"api_key = '{STRONG}';", "main.c"),
        (f"password = {STRONG};", "Program.cs"),
        # code, templates, references, hashes, mismatched quotes, punctuation only
        ('password = get_password("db")', "app.py"),
        ('password = "{{ .Values.db.password }}"', "secret.yaml"),
        ("password: ${DB_PASSWORD}", "compose.yaml"),
        (f'secret_sha256 = "{"ab12" * 16}"', "release.conf"),
        ("private_key \"hopenobodyfindsthisone';", "notes.txt"),
        ('password = ",.:-@*?!"', "main.c"),
        ('if (password == "") {', "auth.js"),
        ('if ("changeme" == password) {', "auth.js"),
    ],
)
def test_code_templates_and_wrong_quoting_are_not_secrets(line: str, path: str) -> None:
    assert not [r for r in _rules(line + "\n", path) if r.startswith("SECRET-GENERIC")], line


def test_comparison_with_a_literal_first_is_its_own_rule() -> None:
    assert _rules(f'if ("{STRONG}" === my_private_key) {{\n', "a.js") == [
        "SECRET-GENERIC-COMPARED-CREDENTIAL"
    ]


@pytest.mark.parametrize(
    "value", ["<your-token>", "${API_KEY}", "{{ token }}", "%(password)s", "$(cat /run/key)"]
)
def test_templates_are_placeholders(value: str) -> None:
    assert is_placeholder(value)


def test_random_brackets_are_not_a_template() -> None:
    assert not is_placeholder(STRONG)
    assert generic_value_ok(STRONG)


@pytest.mark.parametrize(
    "value", ["getenv(KEY)", "cfg[key]", "{a: 1}", "(a[0])", "settings.secret_key", ",.:-!"]
)
def test_code_and_punctuation_are_not_values(value: str) -> None:
    assert not generic_value_ok(value)
