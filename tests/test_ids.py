"""Identifiers: record ids and request ids are UUIDv7, time-ordered and unique."""

from __future__ import annotations

import time
import uuid

from hub.ids import new_id, new_request_id


def test_request_ids_are_version_7_uuids_carrying_the_current_millisecond():
    before = time.time_ns() // 1_000_000
    ids = [new_request_id() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    for text in ids:
        value = uuid.UUID(text)
        assert str(value) == text and value.version == 7 and value.variant == uuid.RFC_4122
        assert before <= value.int >> 80 <= after


def test_request_ids_and_record_ids_sort_together_by_time():
    first = new_id()
    time.sleep(0.002)
    middle = new_request_id()
    time.sleep(0.002)
    assert first < middle < new_id()
