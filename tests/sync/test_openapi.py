"""The OpenAPI description in the repository covers every JSON endpoint of /sync."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from webapp.sync.views import API_ENDPOINTS

SPEC = Path(__file__).resolve().parents[2] / "webapp" / "sync" / "openapi.yaml"


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z0-9_]+)>", r"{\1}", rule)


def test_every_sync_json_route_and_method_is_described(app):
    spec = yaml.safe_load(SPEC.read_text())
    assert spec["openapi"].startswith("3.1")
    described = spec["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in API_ENDPOINTS:
            continue
        path = openapi_path(rule.rule)
        assert path in described, path
        methods = set(rule.methods or ()) - {"OPTIONS"}
        if "GET" in methods:
            methods.discard("HEAD")  # Flask's implicit HEAD of a GET
        for method in methods:
            assert method.lower() in described[path], (path, method)
    assert {
        openapi_path(r.rule) for r in app.url_map.iter_rules() if r.endpoint in API_ENDPOINTS
    } == set(described)


def test_every_reference_resolves():
    spec = yaml.safe_load(SPEC.read_text())
    refs = re.findall(r"\$ref: \"#/([^\"]+)\"", SPEC.read_text())
    assert refs
    for ref in refs:
        node = spec
        for part in ref.split("/"):
            node = node[part]
