"""Response headers (a strict CSP without inline script or style, and friends), and which
proxies' X-Forwarded-For is trusted for the client's address."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register(app: Flask) -> None:
    """Trust PROXY_HOPS reverse proxies for the client's address; add the security headers."""
    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops < 0:
        raise RuntimeError("PROXY_HOPS must be 0 (no proxy) or the number of proxies in front.")
    if hops:
        # request.remote_addr becomes the address the nearest `hops` proxies report; with 0 a
        # client's own X-Forwarded-For is ignored. Only the address: trusting X-Forwarded-Proto
        # would turn on Flask-WTF's strict Referer check against a Host header that nginx
        # rewrites to the upstream's unless configured otherwise.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0)  # type: ignore[method-assign]

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
        if response.mimetype == "text/html" and request.endpoint != "static":
            # Pages carry personal data: never keep them in shared caches.
            h.setdefault("Cache-Control", "no-store")
        return response
