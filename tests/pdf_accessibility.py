"""A shared check for every PDF the platform makes: PDF/UA-1 with the ``pdfua`` package.

``assert_pdfua(pdf_bytes)`` fails listing each finding (rule, severity, message, page)
unless the document has zero errors and zero warnings.
"""

import os
import tempfile

from pdfua import Severity, validate


def pdfua_findings(pdf: bytes) -> list:
    """Return the pdfua findings of ``pdf`` (bytes) of severity warning or worse."""
    handle, path = tempfile.mkstemp(suffix=".pdf")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        report = validate(path)
    finally:
        os.unlink(path)
    return [f for f in report.findings if f.severity >= Severity.WARNING]


def assert_pdfua(pdf: bytes) -> None:
    """Assert that ``pdf`` passes the PDF/UA check with zero errors and zero warnings."""
    findings = pdfua_findings(pdf)
    assert not findings, "PDF/UA findings:\n" + "\n".join(
        f"{f.rule_id} {f.severity.name}: {f.message} ({f.location.describe()})" for f in findings)
