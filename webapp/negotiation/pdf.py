"""The customer's copy of a 商谈memo (附表十) as a PDF, made with WeasyPrint.

The page is the print HTML with its stylesheet passed in directly, and WeasyPrint's fetcher
refuses every URL: making a PDF never reaches the network, nor any file the HTML might name.
Chinese text needs a CJK font installed on the server (fonts-noto-cjk).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app

STYLESHEET = "css/print-memo.css"


class RefusedFetch(ValueError):
    """WeasyPrint asked for a URL: nothing is fetched for a memo."""


def refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Refuse a request for `url`: the CSS is passed in as text, and nothing else is needed."""
    raise RefusedFetch(f"a memo PDF fetches nothing: {url[:80]!r}")


def refusing_fetcher() -> Any:
    """WeasyPrint's url_fetcher refusing every URL: an instance of WeasyPrint's URLFetcher
    class where WeasyPrint has one (it then expects one), else the plain function."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:
        return refuse_fetch

    class RefusingFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return refuse_fetch(url)

    return RefusingFetcher()


@cache
def _stylesheet_text(path: str, _mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def stylesheet_text() -> str:
    """The print stylesheet's text, read once per version of the file."""
    path = Path(current_app.static_folder or "") / STYLESHEET
    return _stylesheet_text(str(path), path.stat().st_mtime)


def render_pdf(html: str) -> bytes:
    """The PDF of the print HTML `html` (which links no stylesheet of its own)."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango and fonts on import

    fetcher = refusing_fetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url=None)
    css = CSS(string=stylesheet_text(), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[css])
