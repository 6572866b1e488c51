"""The offline entry kinds are declared once, by their areas: everything that lists them (the
OpenAPI enum, the protocol document, the labels, the tablet's sensitive fields, the service
worker's offline pages) agrees with the registry, and sync knows no area."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from flask_babel import force_locale

from webapp.labels import label
from webapp.sync import registry
from webapp.sync.labels import field_label

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "webapp" / "sync" / "openapi.yaml"
PROTOCOL = ROOT / "docs" / "sync-protocol.md"
# The packages that are areas of the process (or their shared parts with their own rules).
AREAS = {
    "admin",
    "auth",
    "catalog",
    "consult",
    "customers",
    "home",
    "org",
    "privacy",
    "push",
    "pwa",
    "reception",
    "testdrive",
}
# What sync may use besides itself: the app's shared modules, and the blob store.
SHARED = {"access", "api", "blobs", "errors", "extensions", "htmx", "inputs", "sql", "timeutil"}


def registered() -> set[str]:
    return {k.name for k in registry.kinds()}


def test_the_openapi_enum_lists_exactly_the_registered_kinds(app):
    spec = yaml.safe_load(SPEC.read_text())
    enum = spec["components"]["schemas"]["Entry"]["properties"]["kind"]["enum"]
    assert set(enum) == registered()


def test_the_protocol_document_has_a_row_for_exactly_the_registered_kinds(app):
    rows = set(re.findall(r"^\| `([a-z]+\.[a-z_]+)` \|", PROTOCOL.read_text(), re.M))
    assert rows == registered()


def test_every_kind_and_field_has_a_label_in_both_languages(app):
    with app.test_request_context():
        for kind in registry.kinds():
            for locale in ("zh_CN", "en"):
                with force_locale(locale):
                    assert label("entry_kind", kind.name) != kind.name
                    for name in (*kind.field_labels, *kind.blobs, "seq", "created_at"):
                        assert field_label(name, kind.name) != name, (kind.name, name)


def test_every_kind_declares_who_sends_and_who_fixes_it(app):
    for kind in registry.kinds():
        assert kind.roles and kind.fix_roles, kind.name
        assert set(kind.sensitive) | set(kind.blobs) <= set(kind.field_labels), kind.name


def test_the_pages_give_the_outbox_the_registered_sensitive_fields(client, world):
    client.login("sales")
    html = client.get("/my-day").get_data(as_text=True)
    expected = " ".join(registry.sensitive_fields())
    assert expected and f'<meta name="outbox-sensitive" content="{expected}">' in html
    assert "id_number" not in (ROOT / "webapp/static/js/outbox.js").read_text()


def test_the_service_worker_keeps_the_registered_offline_pages(client):
    body = client.get("/sw.js").get_data(as_text=True)
    for path in registry.offline_paths():
        assert path.replace("\\", "\\\\") in body
    rest = body
    for path in registry.offline_paths():
        rest = rest.replace(path.replace("\\", "\\\\"), "")
    assert "/testdrive/" not in rest and "/delivery/" not in rest


def imports_of(path: Path) -> set[str]:
    """The webapp modules a file imports, at any level (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("webapp"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("webapp"))
    return found


def test_sync_imports_no_area():
    for path in sorted((ROOT / "webapp" / "sync").glob("*.py")):
        for module in imports_of(path):
            parts = module.split(".")
            if len(parts) < 2 or parts[1] in ("sync",):
                continue
            if parts[1] == "auth" and module.startswith("webapp.auth.models"):
                continue  # the user and the roles every rule is about
            assert parts[1] not in AREAS, f"{path.name} imports {module}"
            assert parts[1] in SHARED, f"{path.name} imports {module}"


def test_no_two_areas_import_each_other():
    edges: dict[str, set[str]] = {}
    for area in AREAS | {"sync", "blobs"}:
        folder = ROOT / "webapp" / area
        for path in folder.glob("*.py") if folder.is_dir() else ():
            for module in imports_of(path):
                parts = module.split(".")
                if len(parts) > 1 and parts[1] != area and (parts[1] in AREAS | {"sync", "blobs"}):
                    edges.setdefault(area, set()).add(parts[1])
    cycles = sorted(
        (a, b) for a, targets in edges.items() for b in targets if a < b and a in edges.get(b, ())
    )
    assert cycles == [], cycles
