"""The pinned transport for push sends: a requests session whose connections go to the very
address webapp.push.outbound checked, never through a redirect or a proxy.

Only the push sender (`flask push send`) makes outbound requests, so the web workers never
import requests: this module is apart from the checks (webapp.push.outbound), which the
subscription form uses too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy

from webapp.push.outbound import BlockedAddress, checked_address, endpoint_problem


class PinnedAdapter(HTTPAdapter):
    """A requests transport that resolves and checks the host itself, then hands urllib3 the
    checked IP address as the host to connect to, with `server_hostname` (SNI) and
    `assert_hostname` (certificate check) set to the name. Proxies are refused: through a
    proxy the proxy would resolve the name again."""

    def __init__(self, *, allow_local: bool = False, **kwargs: Any) -> None:
        self.allow_local = allow_local
        super().__init__(**kwargs)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: dict[str, str] | None = None,
        cert: Any = None,
    ) -> Any:
        url = request.url or ""
        if select_proxy(url, proxies or {}):
            raise BlockedAddress("proxy")
        problem = endpoint_problem(url, allow_local=self.allow_local)
        if problem:
            raise BlockedAddress(problem)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            address = checked_address(host, port, allow_local=self.allow_local)
        except OSError:
            raise requests.ConnectionError("name not resolved", request=request) from None
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = str(address)
        if parts.scheme == "https":
            pool_kwargs["server_hostname"] = host
            pool_kwargs["assert_hostname"] = host
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        """The Host header names the host of the URL (urllib3 would put the IP there)."""
        parts = urlsplit(request.url or "")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        default = 443 if parts.scheme == "https" else 80
        request.headers["Host"] = host if parts.port in (None, default) else f"{host}:{parts.port}"


class NoRedirectSession(requests.Session):
    """A session that never follows a redirect: a 3xx comes back as the response."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def pinned_session(*, allow_local: bool = False) -> requests.Session:
    """A requests session for push sends: PinnedAdapter for http and https, no redirects,
    no proxies or .netrc from the environment. Close it when done."""
    session = NoRedirectSession()
    session.trust_env = False
    adapter = PinnedAdapter(allow_local=allow_local)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
