"""`soko-hub hq enrol | status | push-now` on a real store's data directory."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hub.cli import main
from hub.setup import create_database
from tests.hubtest import fast_hasher


def test_enrol_by_file_then_status_and_push_now(tmp_path, hq, settings):
    create_database(settings.db_path, store_name="Harare 1", store_code="HRE1", timezone="Africa/Harare",
                    hasher=fast_hasher(), admin_username="owner", admin_password="a long passphrase 1")
    _sid, code = hq.store("HRE1", "Harare 1")
    enrol_file = tmp_path / "soko-enrol.json"
    enrol_file.write_text(json.dumps({"hq_url": hq.url, "code": code, "store_code": "HRE1"}))
    run = CliRunner()
    base = ["--data-dir", settings.data_dir, "hq"]
    r = run.invoke(main, [*base, "status"])
    assert r.exit_code == 0 and "not enrolled" in r.output
    r = run.invoke(main, [*base, "enrol", "--file", str(enrol_file)])
    assert r.exit_code == 0, r.output
    assert "HRE1" in r.output and "fence 1" in r.output
    r = run.invoke(main, [*base, "enrol", "--file", str(enrol_file)])
    assert r.exit_code != 0 and "code_used" in r.output  # single use
    r = run.invoke(main, [*base, "push-now"])
    assert r.exit_code == 0, r.output
    assert "backlog 0" in r.output
    r = run.invoke(main, [*base, "status", "--json"])
    found = json.loads(r.output)
    assert found["state"] == "current" and found["store"]["code"] == "HRE1" and found["last_contact_at"]


def test_enrol_needs_a_code_or_a_file(settings):
    r = CliRunner().invoke(main, ["--data-dir", settings.data_dir, "hq", "enrol", "--url", "http://x"])
    assert r.exit_code == 2
