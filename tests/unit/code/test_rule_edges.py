"""Edge cases of the comparison, logging, archive, cookie and TLS-version rules that the
PASSED/FAILED fixtures do not show line by line."""

from __future__ import annotations

from tests.unit.code.support import rule_lines, scan_text


def test_timing_digest_function_and_header_lookups() -> None:
    findings = scan_text(
        """
        import hmac

        def check(key, body, headers, expected):
            a = hmac.digest(key, body, "sha256") == headers["X-Signature"]
            b = headers.get("X-Api-Key") == expected
            c = hmac.new(key, body, "sha256") == expected
            return a, b, c
        """
    )
    assert rule_lines(findings, "PY-TIMING-001") == [4, 5]


def test_timing_ignores_object_equality_and_named_constants() -> None:
    findings = scan_text(
        """
        class Credentials:
            def __eq__(self, other):
                return self.password == other.password

        def kind(method, Method):
            return method == Method.USERNAME_PASSWORD or [1] == method.signature
        """
    )
    assert rule_lines(findings, "PY-TIMING-001") == []


def test_logging_through_format_and_attributes_but_not_masks() -> None:
    findings = scan_text(
        """
        import logging

        LOG = logging.getLogger(__name__)

        def report(settings, client_secret):
            LOG.info("settings {}".format(settings.api_key))
            LOG.debug("secret hash %s", fingerprint(client_secret))
            logging.log(logging.INFO, "%s", client_secret)
            print("not a logger", client_secret)
        """
    )
    assert rule_lines(findings, "PY-LOG-001") == [6, 8]


def test_tar_extraction_through_attributes_is_not_guessed() -> None:
    findings = scan_text(
        """
        import tarfile

        def unpack(self, path, members):
            self.archive.extractall(path)
            archive = tarfile.open(path)
            archive.extractall(path, members)
            archive.extractall(path, filter=self.policy)
        """
    )
    assert rule_lines(findings, "PY-TAR-001") == []


def test_cookie_jar_storage_is_not_a_response_cookie() -> None:
    findings = scan_text(
        """
        def store(jar, cookie, response):
            jar.set_cookie(cookie)
            response.set_cookie("theme")
        """
    )
    assert rule_lines(findings, "PY-COOKIE-001") == [3]


def test_old_tls_versions_in_tables_and_checks_are_not_selections() -> None:
    findings = scan_text(
        """
        import ssl

        NAMES = {ssl.PROTOCOL_TLSv1: "TLS 1.0"}
        REFUSED = [ssl.TLSVersion.TLSv1_1]

        def describe(context, versions):
            if context.minimum_version == ssl.TLSVersion.TLSv1:
                return NAMES[ssl.PROTOCOL_TLSv1]
            return versions[ssl.TLSVersion.TLSv1]

        def legacy(version=ssl.PROTOCOL_SSLv3):
            return version
        """
    )
    assert rule_lines(findings, "PY-TLS-004") == [4, 11]
