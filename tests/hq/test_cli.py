"""`soko-hq`: migrate, make the first user, a store and its enrolment code or file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cloud_bridge.hq.cli import main


def test_migrate_user_and_enrolment_commands(pg_cluster):
    dsn = pg_cluster.create_database()
    runner = CliRunner()
    first = runner.invoke(main, ["migrate", "--dsn", dsn])
    assert first.exit_code == 0 and "0001_schema.sql" in first.output
    assert runner.invoke(main, ["migrate", "--dsn", dsn]).output.strip() == "up to date"
    made = runner.invoke(main, ["user", "create", "--dsn", dsn, "--username", "boss", "--role", "admin"],
                         input="a-long-password\na-long-password\n")
    assert made.exit_code == 0 and "user boss (admin) created" in made.output
    again = runner.invoke(main, ["user", "create", "--dsn", dsn, "--username", "boss"],
                          input="a-long-password\na-long-password\n")
    assert again.exit_code != 0 and "taken" in again.output
    unknown = runner.invoke(main, ["store", "enrolment", "--dsn", dsn, "--code", "S1"])
    assert unknown.exit_code != 0 and "No store S1" in unknown.output
    code = runner.invoke(main, ["store", "enrolment", "--dsn", dsn, "--code", "S1", "--name", "Borrowdale"])
    assert code.exit_code == 0 and "valid until" in code.output and len(code.output.split()[0]) == 12
    made_file = runner.invoke(main, ["store", "enrolment", "--dsn", dsn, "--code", "S1",
                                     "--hq-url", "https://hq.example"])
    assert made_file.exit_code == 0
    enrolment = json.loads(made_file.output)
    assert enrolment["hq_url"] == "https://hq.example" and enrolment["store_code"] == "S1"
    pg_cluster.drop_database(dsn)
