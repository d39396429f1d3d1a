"""`soko-hub user create|reset-password|deactivate|list`: each change made and audited once."""

from __future__ import annotations

import datetime as dt

import httpx

from hub.clock import format_ts, utc_now
from hub.db import audit, tokens, users
from hub.db.connection import connect, transaction
from tests.cli.runner import soko_hub
from tests.hubtest import fast_hasher


def read(path, fn):
    conn = connect(path, readonly=True)
    try:
        return fn(conn)
    finally:
        conn.close()


def user(settings, username):
    return read(settings.db_path, lambda c: users.get_user_by_username(c, username))


def secrets(settings, username):
    return read(settings.db_path, lambda c: users.get_secrets(c, username=username))


def new_entries(settings, since: int) -> list[dict]:
    """Audit entries appended after `since` entries, oldest first."""
    return read(settings.db_path, lambda c: audit.list_entries(c, limit=1000))[::-1][since:]


def entries(settings) -> int:
    return read(settings.db_path, audit.count)


def issue_token(settings, username) -> str:
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            found = users.get_user_by_username(conn, username)
            secret, _ = tokens.issue(conn, user_id=found["id"], kind="access",
                                     expires_at=format_ts(utc_now() + dt.timedelta(hours=1)))
        return secret
    finally:
        conn.close()


def token_live(settings, secret) -> bool:
    return read(settings.db_path, lambda c: tokens.identity_for(c, secret, format_ts(utc_now()))) is not None


def test_create_adds_a_user_with_a_role_and_one_audit_entry(settings, demo_store):
    since = entries(settings)

    result = soko_hub(settings.data_path, "user", "create", "Rudo", "--role", "supervisor",
                      "--display-name", "Rudo M.", "--password", "long enough pw")

    assert result.exit_code == 0, result.output
    rudo = user(settings, "rudo")
    assert (rudo["role"], rudo["display_name"], rudo["active"]) == ("supervisor", "Rudo M.", True)
    assert fast_hasher().verify(secrets(settings, "rudo")["password_hash"], "long enough pw")
    (entry,) = new_entries(settings, since)
    assert (entry["action"], entry["entity_id"], entry["username"]) == ("user.created", rudo["id"], "cli")
    assert "password_hash" not in str(entry["summary"])


def test_create_asks_for_a_pin_when_the_flag_has_no_value(settings, demo_store):
    result = soko_hub(settings.data_path, "user", "create", "chipo", "--role", "cashier", "--pin",
                      input="1357\n1357\n")

    assert result.exit_code == 0, result.output
    assert user(settings, "chipo")["has_password"] is False
    assert fast_hasher().verify(secrets(settings, "chipo")["pin_hash"], "1357")


def test_create_refuses_bad_requests_and_changes_nothing(settings, demo_store):
    since = entries(settings)
    cases = [
        (["nobody", "--role", "owner", "--pin", "1357"], "there is no role 'owner' (roles: admin"),
        (["cashier", "--role", "cashier", "--pin", "1357"], "the username 'cashier' is taken"),
        (["chipo", "--role", "cashier", "--pin", "1111"], "a PIN cannot be one digit repeated"),
        (["chipo", "--role", "cashier"], "give --password or --pin"),
        (["no spaces", "--role", "cashier", "--pin", "1357"], "a username is 3 to 32"),
    ]
    for args, message in cases:
        result = soko_hub(settings.data_path, "user", "create", *args)
        assert result.exit_code == 1, args
        assert message in result.stderr, (args, result.stderr)
    assert entries(settings) == since
    assert user(settings, "chipo") is None and user(settings, "nobody") is None


def test_reset_password_sets_it_ends_sessions_and_audits_once(settings, demo_store):
    token = issue_token(settings, "manager")
    since = entries(settings)

    result = soko_hub(settings.data_path, "user", "reset-password", "manager",
                      input="brand new secret\nbrand new secret\n")

    assert result.exit_code == 0, result.output
    assert fast_hasher().verify(secrets(settings, "manager")["password_hash"], "brand new secret")
    assert not token_live(settings, token)
    (entry,) = new_entries(settings, since)
    assert entry["action"] == "user.password_reset"
    assert entry["summary"]["detail"] == {"revoked_tokens": 1}


def test_reset_pin_keeps_the_password(settings, demo_store):
    password_hash = secrets(settings, "cashier")["password_hash"]
    since = entries(settings)

    result = soko_hub(settings.data_path, "user", "reset-password", "cashier", "--pin", "8642")

    assert result.exit_code == 0, result.output
    assert fast_hasher().verify(secrets(settings, "cashier")["pin_hash"], "8642")
    assert secrets(settings, "cashier")["password_hash"] == password_hash
    assert [e["action"] for e in new_entries(settings, since)] == ["user.pin_reset"]


def test_reset_for_an_unknown_user_asks_nothing(settings, demo_store):
    result = soko_hub(settings.data_path, "user", "reset-password", "ghost", input="")

    assert result.exit_code == 1
    assert "there is no user 'ghost'" in result.stderr
    assert "password" not in result.stdout.lower()


def test_deactivate_refuses_the_user_and_ends_their_sessions(settings, demo_store):
    token = issue_token(settings, "supervisor")
    since = entries(settings)

    result = soko_hub(settings.data_path, "user", "deactivate", "supervisor")

    assert result.exit_code == 0, result.output
    assert user(settings, "supervisor")["active"] is False
    assert not token_live(settings, token)
    (entry,) = new_entries(settings, since)
    assert entry["action"] == "user.deactivated"
    assert (entry["summary"]["before"]["active"], entry["summary"]["after"]["active"]) == (True, False)
    again = soko_hub(settings.data_path, "user", "deactivate", "supervisor")
    assert again.exit_code == 0 and "already deactivated" in again.stdout
    assert entries(settings) == since + 1


def test_the_last_user_who_can_manage_roles_cannot_be_deactivated(settings, demo_store):
    refused = soko_hub(settings.data_path, "user", "deactivate", "admin")

    assert refused.exit_code == 1
    assert "would leave no active user holding roles.manage" in refused.stderr
    assert user(settings, "admin")["active"] is True

    soko_hub(settings.data_path, "user", "create", "second-admin", "--role", "admin", "--password", "long enough pw")
    allowed = soko_hub(settings.data_path, "user", "deactivate", "admin")
    assert allowed.exit_code == 0, allowed.output
    assert user(settings, "admin")["active"] is False


def test_list_shows_every_user_with_role_and_state(settings, demo_store):
    soko_hub(settings.data_path, "user", "deactivate", "cashier")

    result = soko_hub(settings.data_path, "user", "list")

    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1:4] for line in result.stdout.splitlines()}
    assert rows["cashier"] == ["cashier", "inactive", "password+PIN"]
    assert rows["admin"] == ["admin", "active", "password+PIN"]
    assert set(rows) == {"admin", "manager", "supervisor", "cashier"}


def test_user_commands_work_while_the_hub_serves(hub):
    data_dir = hub.server.settings.data_path

    created = soko_hub(data_dir, "user", "create", "tafadzwa", "--role", "manager", "--password", "long enough pw")
    deactivated = soko_hub(data_dir, "user", "deactivate", "supervisor")

    assert created.exit_code == 0, created.output
    assert deactivated.exit_code == 0, deactivated.output
    health = httpx.get(f"{hub.url}/api/v1/health", timeout=10).json()
    assert health["database"]["ok"] is True
    token = issue_token(hub.server.settings, "tafadzwa")
    assert hub.client(token).get("/api/v1/backups").status_code == 200  # the hub sees the new user
