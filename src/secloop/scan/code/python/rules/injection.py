"""Injection: SQL, operating-system commands and Python code built at run time."""

from __future__ import annotations

import ast
import re

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.rules.common import is_truthy, method_name, run_time_value_hit
from secloop.scan.code.python.sites import CallSite, Hit

__all__ = ["RULES"]

_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "raw"})
_SQL_FUNCTIONS = frozenset(
    {"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text",
     "django.db.models.expressions.RawSQL", "django.db.models.RawSQL"}
)  # fmt: skip
_SQL_TEXT = re.compile(
    r"\b(select\b.*\bfrom|insert\s+into|update\b.*\bset\b|delete\s+from|where\b|order\s+by|"
    r"group\s+by|create\s+table|drop\s+table|alter\s+table|union\b|values\s*\()",
    re.IGNORECASE | re.DOTALL,
)
_SUBPROCESS = frozenset(
    {"subprocess.Popen", "subprocess.call", "subprocess.run", "subprocess.check_call",
     "subprocess.check_output"}
)  # fmt: skip
_ALWAYS_SHELL = frozenset(
    {"subprocess.getoutput", "subprocess.getstatusoutput", "asyncio.create_subprocess_shell"}
)
_OS_SHELL = frozenset(
    {"os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "popen2.popen2",
     "popen2.popen3", "popen2.popen4", "popen2.Popen3", "popen2.Popen4",
     "commands.getoutput", "commands.getstatusoutput", "platform.popen"}
)  # fmt: skip
_EVAL = frozenset({"eval", "builtins.eval"})
_EXEC = frozenset({"exec", "builtins.exec", "compile", "builtins.compile"})


def _check_sql(site: CallSite) -> Hit | None:
    if site.name in _SQL_FUNCTIONS:
        query = site.arg(0, "text") or site.arg(0, "sql")
    elif method_name(site) in _SQL_METHODS:
        query = site.arg(0, "sql") or site.arg(0, "operation") or site.arg(0, "raw_query")
    else:
        return None
    if query is None:
        return None
    if isinstance(query, ast.Call) and site.qualname(query.func) in _SQL_FUNCTIONS:
        return None  # execute(text(...)): reported once, at text()
    text = site.built_text(query)
    taint = site.taint(query)
    if taint is None and (text is None or not _SQL_TEXT.search(text)):
        return None
    how = "request data" if text is None else "a string built at run time"
    return Hit(
        node=site.node,
        message=f"SQL query passed to {site.attr}() is {how}; use bound parameters.",
        sink=site.attr,
        taint=taint,
        severity=Severity.CRITICAL if taint else None,
    )


def _check_subprocess_shell(site: CallSite) -> Hit | None:
    if site.name in _SUBPROCESS:
        if not is_truthy(site, site.kwarg("shell")):
            return None
        command = site.arg(0, "args")
    elif site.name in _ALWAYS_SHELL:
        command = site.arg(0, "cmd")
    else:
        return None
    return run_time_value_hit(
        site, command, what="a shell command built at run time", escalate=True
    )


def _check_os_shell(site: CallSite) -> Hit | None:
    if site.name not in _OS_SHELL:
        return None
    command = site.arg(0, "command") or site.arg(0, "cmd")
    return run_time_value_hit(
        site, command, what="a shell command built at run time", escalate=True
    )


def _check_eval(site: CallSite) -> Hit | None:
    if site.name not in _EVAL:
        return None
    return run_time_value_hit(
        site, site.arg(0, "source"), what="code not fixed in the source", escalate=True
    )


def _check_exec(site: CallSite) -> Hit | None:
    if site.name not in _EXEC:
        return None
    return run_time_value_hit(
        site, site.arg(0, "source"), what="code not fixed in the source", escalate=True
    )


RULES = (
    CodeRule(
        id="PY-SQLI-001",
        title="SQL query built from strings",
        severity=Severity.HIGH,
        cwe=("CWE-89",),
        owasp="A03",
        bandit=("B608",),
        semgrep="python.lang.security.audit.formatted-sql-query.formatted-sql-query",
        description=(
            "A SQL statement is assembled with an f-string, `+`, `%` or `.format()` from a "
            "value not fixed in the source, and passed to `execute`/`executemany`/`raw`/"
            "`text()`. Whoever controls that value can change the statement: read other "
            "rows, bypass a login, drop tables. Flagged when the text looks like SQL or the "
            "value is proven to come from the request (then rated critical). Parametrised "
            'calls such as `execute("... WHERE id = %s", (uid,))` are not reported.'
        ),
        remediation=(
            "Pass values as bound parameters (`execute(sql, params)`, SQLAlchemy "
            "`text(...).bindparams()`, Django `raw(sql, params)`); for identifiers such as "
            "a sort column, map the input onto an allow-list of known names."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/89.html",
            "https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html",
        ),
        on_call=_check_sql,
    ),
    CodeRule(
        id="PY-CMDI-001",
        title="subprocess with shell=True and a command built at run time",
        severity=Severity.HIGH,
        cwe=("CWE-78",),
        owasp="A03",
        bandit=("B602",),
        semgrep="python.lang.security.audit.subprocess-shell-true.subprocess-shell-true",
        description=(
            "`subprocess` runs the command through `/bin/sh` (`shell=True`, `getoutput`, "
            "`create_subprocess_shell`) and the command string is not constant, so shell "
            "metacharacters in any part of it (`;`, `|`, `$()`) run commands of the "
            "attacker's choosing. Constant commands are not reported."
        ),
        remediation=(
            'Pass an argument list without a shell (`subprocess.run(["sqlite3", path], '
            "check=True)`); if a shell is unavoidable, quote each value with `shlex.quote`."
        ),
        references=("https://cwe.mitre.org/data/definitions/78.html",),
        on_call=_check_subprocess_shell,
    ),
    CodeRule(
        id="PY-CMDI-002",
        title="os.system / os.popen with a command built at run time",
        severity=Severity.HIGH,
        cwe=("CWE-78",),
        owasp="A03",
        bandit=("B605",),
        semgrep="python.lang.security.audit.dangerous-system-call.dangerous-system-call",
        description=(
            "`os.system`, `os.popen`, `popen2` and `commands` always run their argument "
            "through a shell. A command that is not constant lets shell metacharacters in "
            "its variable part run other commands."
        ),
        remediation="Use `subprocess.run([...])` with an argument list and no shell.",
        references=("https://cwe.mitre.org/data/definitions/78.html",),
        on_call=_check_os_shell,
    ),
    CodeRule(
        id="PY-CODE-001",
        title="eval() of a value not fixed in the source",
        severity=Severity.HIGH,
        cwe=("CWE-95",),
        owasp="A03",
        bandit=("B307",),
        semgrep="python.lang.security.audit.eval-detected.eval-detected",
        description=(
            "`eval` runs any Python expression, including `__import__('os').system(...)`. "
            "Given a value that is not constant it is a remote code execution primitive."
        ),
        remediation=(
            "Parse data with `json.loads` or `ast.literal_eval`; dispatch on input through "
            "a dictionary of allowed operations."
        ),
        references=("https://cwe.mitre.org/data/definitions/95.html",),
        on_call=_check_eval,
    ),
    CodeRule(
        id="PY-CODE-002",
        title="exec() or compile() of a value not fixed in the source",
        severity=Severity.HIGH,
        cwe=("CWE-95",),
        owasp="A03",
        bandit=("B102",),
        semgrep="python.lang.security.audit.exec-detected.exec-detected",
        description=(
            "`exec` and `compile` turn a string into running code; any part of it an "
            "attacker controls becomes their code, with the service's privileges."
        ),
        remediation="Do not build code from data; use a data format and a dispatch table.",
        references=("https://cwe.mitre.org/data/definitions/95.html",),
        on_call=_check_exec,
    ),
)
