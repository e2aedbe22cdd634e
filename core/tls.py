"""TLS for a local client of mishu's own servers: trust exactly the configured certificate."""

from __future__ import annotations

import ssl


def pinned_tls_context(cert_file: str) -> ssl.SSLContext:
    """Trust exactly this certificate (self-signed or issued), whatever host name it was issued for: the
    pages and the launcher reach the API over loopback, where the certificate's name does not match."""
    ctx = ssl.create_default_context(cafile=cert_file)
    ctx.check_hostname = False
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return ctx


__all__ = ["pinned_tls_context"]
