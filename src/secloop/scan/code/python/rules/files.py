"""File access: paths from the request, predictable temporary names, XML entity expansion."""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import CallSite, Hit

__all__ = ["RULES"]

_OPENERS = frozenset(
    {"open", "builtins.open", "io.open", "codecs.open", "os.open", "flask.send_file",
     "starlette.responses.FileResponse", "fastapi.responses.FileResponse",
     "aiofiles.open", "shutil.copyfile", "os.remove", "os.unlink"}
)  # fmt: skip
_PATH_METHODS = frozenset(
    {"read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink"}
)
_MKTEMP = frozenset({"tempfile.mktemp", "os.tempnam", "os.tmpnam"})
_XML_MODULES = (
    "xml.etree.ElementTree", "xml.etree.cElementTree", "xml.dom.minidom", "xml.dom.pulldom",
    "xml.dom.expatbuilder", "xml.sax", "xml.sax.expatreader", "lxml.etree",
)  # fmt: skip
_XML_PARSE_FUNCTIONS = frozenset(
    {"parse", "iterparse", "fromstring", "fromstringlist", "XML", "XMLParser", "XMLPullParser",
     "parseString", "make_parser", "create_parser"}
)  # fmt: skip

#: Functions whose first argument is the XML document itself rather than a file.
_XML_FROM_TEXT = frozenset({"fromstring", "fromstringlist", "XML", "parseString"})


def _check_path(site: CallSite) -> Hit | None:
    if site.name in _OPENERS:
        path = site.arg(0, "file") or site.arg(0, "path") or site.arg(0, "path_or_file")
    elif isinstance(site.node.func, ast.Attribute) and site.node.func.attr in _PATH_METHODS:
        path = site.node.func.value  # pathlib: the receiver is the path
    else:
        return None
    taint = site.taint(path) if path is not None else None
    if taint is None:
        return None
    return Hit(
        node=site.node,
        message=(
            f"{site.name or site.attr}() opens a path built from request data "
            f"({taint.source.name}); `../` in it reaches files outside the intended folder."
        ),
        sink=site.name or site.attr,
        taint=taint,
    )


def _check_mktemp(site: CallSite) -> Hit | None:
    if site.name not in _MKTEMP:
        return None
    return Hit(
        node=site.node,
        message=f"{site.name}() returns a name another process can create first.",
        sink=site.name,
    )


def _xml_parser(site: CallSite) -> bool:
    module, _, function = site.name.rpartition(".")
    return module in _XML_MODULES and function in _XML_PARSE_FUNCTIONS


def _check_xml(site: CallSite) -> Hit | None:
    if not _xml_parser(site):
        return None
    hardened = site.kwarg("parser") is not None or site.kwarg_is("resolve_entities", False)
    if site.name.startswith("lxml.") and hardened:
        return None
    document = site.arg(0, "source") or site.arg(0, "text") or site.arg(0, "string")
    literal = site.attr in _XML_FROM_TEXT and document is not None and site.is_constant(document)
    if literal:  # a file name, by contrast, says nothing about the file's content
        return None
    taint = site.taint(document) if document is not None else None
    return Hit(
        node=site.node,
        message=(
            f"{site.name}() parses XML with entity expansion enabled (XXE, billion laughs); "
            "use defusedxml."
        ),
        sink=site.name,
        taint=taint,
    )


RULES = (
    CodeRule(
        id="PY-PATH-001",
        title="File path built from request data (path traversal)",
        severity=Severity.HIGH,
        cwe=("CWE-22",),
        owasp="A01",
        semgrep="python.flask.security.injection.path-traversal-open.path-traversal-open",
        description=(
            "A file is opened, sent or deleted at a path that carries request data. "
            "`../` sequences or an absolute path in that data reach any file the service "
            "can read: configuration, keys, other users' uploads. Only flows proven to come "
            "from the request are reported; `os.path.basename` and `secure_filename` stop them."
        ),
        remediation=(
            "Serve files with `flask.send_from_directory` or resolve the path and check it "
            "stays under the base folder (`Path(base, name).resolve().is_relative_to(base)`); "
            "better, look files up by an id instead of a name."
        ),
        references=("https://cwe.mitre.org/data/definitions/22.html",),
        on_call=_check_path,
    ),
    CodeRule(
        id="PY-TMP-001",
        title="Insecure temporary file name (mktemp)",
        severity=Severity.MEDIUM,
        cwe=("CWE-377",),
        owasp="A01",
        bandit=("B306",),
        semgrep="python.lang.correctness.tempfile.mktemp.tempfile-insecure",
        description=(
            "`tempfile.mktemp` and `os.tempnam` return a name without creating the file, so "
            "another local process can create (or symlink) it first and read or redirect "
            "what the program writes."
        ),
        remediation="Use `tempfile.mkstemp()`, `NamedTemporaryFile()` or `TemporaryDirectory()`.",
        references=("https://cwe.mitre.org/data/definitions/377.html",),
        on_call=_check_mktemp,
    ),
    CodeRule(
        id="PY-XXE-001",
        title="XML parsed with a parser open to entity attacks",
        severity=Severity.MEDIUM,
        cwe=("CWE-611", "CWE-776"),
        owasp="A05",
        bandit=("B314", "B313", "B315", "B316", "B317", "B318", "B319", "B320"),
        semgrep="python.lang.security.use-defused-xml-parse.use-defused-xml-parse",
        description=(
            "The standard library XML parsers (`xml.etree`, `xml.dom.minidom`, "
            "`xml.dom.pulldom`, `xml.sax`) and `lxml.etree` without a hardened parser expand "
            "entities: a small document can exhaust memory (billion laughs), and lxml and "
            "older expat versions fetch external entities (XXE: local file reads, SSRF). "
            "Parsing a literal document is not reported."
        ),
        remediation=(
            "Parse untrusted XML with `defusedxml` (`defusedxml.ElementTree.fromstring`), or "
            "give lxml `XMLParser(resolve_entities=False, no_network=True)`."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/611.html",
            "https://docs.python.org/3/library/xml.html#xml-vulnerabilities",
        ),
        on_call=_check_xml,
    ),
)
