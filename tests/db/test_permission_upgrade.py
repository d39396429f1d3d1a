import json

import hub.auth.permissions as permissions
from hub.db import audit, meta, roles
from hub.db.connection import connect, transaction
from tests.hubtest import HubServer


def role_permissions(path, name):
    conn = connect(path, readonly=True)
    try:
        return set(roles.get_role_by_name(conn, name)["permissions"])
    finally:
        conn.close()


def test_a_permission_added_by_a_release_reaches_the_builtin_roles_once(settings, demo_store, monkeypatch):
    # The store took audit.view away from its managers on purpose.
    conn = connect(settings.db_path)
    with transaction(conn):
        manager = roles.get_role_by_name(conn, "manager")
        roles.update_role(conn, manager["id"], permissions=set(manager["permissions"]) - {"audit.view"})
    conn.close()
    # A new release brings "future.example", granted by default to admin and manager.
    monkeypatch.setitem(permissions.PERMISSIONS, "future.example", "A permission a later release brings")
    builtin = dict(permissions.BUILTIN_ROLES)
    for name in ("admin", "manager"):
        description, granted = builtin[name]
        builtin[name] = (description, granted | {"future.example"})
    monkeypatch.setattr(permissions, "BUILTIN_ROLES", builtin)
    monkeypatch.setattr(roles, "BUILTIN_ROLES", builtin)

    server = HubServer(settings).start()
    server.stop()

    assert "future.example" in role_permissions(settings.db_path, "admin")
    assert "future.example" in role_permissions(settings.db_path, "manager")
    assert "future.example" not in role_permissions(settings.db_path, "cashier")
    assert "audit.view" not in role_permissions(settings.db_path, "manager")  # not given back
    conn = connect(settings.db_path, readonly=True)
    try:
        assert "future.example" in json.loads(meta.get(conn, "known_permissions"))
        (entry,) = [e for e in audit.list_entries(conn) if e["action"] == "permissions.introduced"]
        assert entry["summary"]["detail"]["granted"] == {"admin": ["future.example"], "manager": ["future.example"]}
    finally:
        conn.close()

    # A second start grants nothing again, even after a manager removed it.
    conn = connect(settings.db_path)
    with transaction(conn):
        manager = roles.get_role_by_name(conn, "manager")
        roles.update_role(conn, manager["id"], permissions=set(manager["permissions"]) - {"future.example"})
    conn.close()
    server = HubServer(settings).start()
    server.stop()
    assert "future.example" not in role_permissions(settings.db_path, "manager")
