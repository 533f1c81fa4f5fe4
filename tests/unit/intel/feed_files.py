"""Small KEV and EPSS files in the published formats, for offline tests.

KEV: CISA's ``known_exploited_vulnerabilities.json`` (schema 1.0.0 fields, as
published at https://www.cisa.gov/known-exploited-vulnerabilities-catalog).
EPSS: FIRST's ``epss_scores-YYYY-MM-DD.csv.gz``: a ``#model_version,score_date``
comment line, the ``cve,epss,percentile`` header, one row per CVE.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

KEV_CATALOGUE = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2025.03.14",
    "dateReleased": "2025-03-14T17:01:55.4021Z",
    "count": 3,
    "vulnerabilities": [
        {
            "cveID": "CVE-2019-10906", "vendorProject": "Pallets", "product": "Jinja2",
            "vulnerabilityName": "Pallets Jinja2 Sandbox Escape Vulnerability",
            "dateAdded": "2024-01-09", "shortDescription": "str.format escapes the sandbox.",
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": "2024-01-30", "knownRansomwareCampaignUse": "Unknown",
            "notes": "https://nvd.nist.gov/vuln/detail/CVE-2019-10906", "cwes": ["CWE-693"],
        },
        {
            "cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
            "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
            "dateAdded": "2021-12-10", "shortDescription": "JNDI lookups run remote code.",
            "requiredAction": "Apply updates per vendor instructions.",
            "dueDate": "2021-12-24", "knownRansomwareCampaignUse": "Known",
            "notes": "https://logging.apache.org/log4j/2.x/security.html", "cwes": ["CWE-917"],
        },
        {"cveID": "CVE-2099-BAD", "dateAdded": "2025-01-01"},
    ],
}  # fmt: skip

EPSS_ROWS = (
    "#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000\n"
    "cve,epss,percentile\n"
    "CVE-2019-10906,0.01231,0.78411\n"
    "CVE-2020-28493,0.00421,0.61532\n"
    "CVE-2021-44228,0.94358,0.99957\n"
    "CVE-2022-0003,1.5,0.5\n"
)


def write_feeds(directory: Path) -> tuple[Path, Path]:
    """``(kev.json, epss.csv.gz)`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    kev = directory / "known_exploited_vulnerabilities.json"
    kev.write_text(json.dumps(KEV_CATALOGUE), encoding="utf-8")
    epss = directory / "epss_scores-2025-03-14.csv.gz"
    epss.write_bytes(gzip.compress(EPSS_ROWS.encode()))
    return kev, epss
