"""Offline verification of license files, and the pairing rule for seats and the trial (pure functions)."""

from __future__ import annotations

import base64
import json

import pytest

from hub.licenses import keys
from hub.licenses.service import TRIAL_DEVICES, pairing_refusal
from hub.licenses.verify import LicenseFileError, verify
from tests.licensing import Vendor

STORE = "0193aaaa-0000-7000-8000-000000000001"


@pytest.fixture(scope="module")
def vendor():
    return Vendor()


def refused(text: str, trusted: tuple[str, ...], store: str | None = STORE) -> str:
    with pytest.raises(LicenseFileError) as err:
        verify(text, trusted, store)
    assert err.value.status == 422
    return err.value.code


def test_a_genuine_license_gives_its_terms_in_the_hubs_time_format(vendor):
    payload = vendor.payload(seats=4, store_id=STORE, license_id="LIC-1", features=("sales", "fiscal", "sales"))
    terms = verify(vendor.sign(payload), (vendor.public_b64,), STORE)
    assert (terms.license_id, terms.seats, terms.store_id, terms.customer) == ("LIC-1", 4, STORE, "Test Customer")
    assert terms.features == ["sales", "fiscal"]
    assert terms.expires_at.endswith(".000000Z") and terms.issued_at < terms.expires_at


def test_a_license_for_any_store_is_accepted_in_every_store(vendor):
    assert verify(vendor.issue(store_id=None), (vendor.public_b64,), "some-other-store").store_id is None


def test_a_license_for_another_store_is_refused(vendor):
    assert refused(vendor.issue(store_id="another-store"), (vendor.public_b64,)) == "license_wrong_store"


def test_a_changed_payload_breaks_the_signature(vendor):
    envelope = json.loads(vendor.issue(seats=2))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["seats"] = 200
    envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    assert refused(json.dumps(envelope), (vendor.public_b64,)) == "license_signature_invalid"


def test_a_file_signed_by_an_unknown_key_is_refused(vendor):
    stranger = Vendor()
    assert refused(stranger.issue(), (vendor.public_b64,)) == "license_key_unknown"
    # Without a key id it is tried against every trusted key, and none matches.
    assert refused(stranger.sign(stranger.payload(), with_key_id=False), (vendor.public_b64,)) == \
        "license_signature_invalid"


def test_a_file_signed_with_a_rotated_in_key_verifies(vendor):
    new = Vendor()
    trusted = (vendor.public_b64, new.public_b64)
    assert verify(new.issue(), trusted, STORE).seats == 5
    assert verify(new.sign(new.payload(), with_key_id=False), trusted, STORE).seats == 5


@pytest.mark.parametrize("change", [
    lambda v: "not json at all",
    lambda v: json.dumps(json.loads(v.issue()) | {"format": "soko-license/2"}),
    lambda v: json.dumps(json.loads(v.issue()) | {"signature": "***"}),
    lambda v: json.dumps(json.loads(v.issue()) | {"payload": "%%%"}),
    lambda v: v.sign(b"[1, 2, 3]"),
    lambda v: v.sign({k: x for k, x in v.payload().items() if k != "seats"}),
    lambda v: v.sign(v.payload() | {"seats": 0}),
    lambda v: v.sign(v.payload() | {"expires_at": "2030-01-01T00:00:00"}),  # no time zone
    lambda v: v.sign(v.payload() | {"expires_at": "2030-01-01T00:00:00+02:00"}),
    lambda v: v.sign(v.payload() | {"issued_at": "2031-01-01T00:00:00Z", "expires_at": "2030-01-01T00:00:00Z"}),
    lambda v: v.sign(v.payload() | {"license_id": "has spaces"}),
])
def test_a_malformed_file_is_refused_with_a_clear_code(vendor, change):
    assert refused(change(vendor), (vendor.public_b64,)) == "license_malformed"


def test_the_built_in_vendor_keys_are_ed25519_public_keys_with_distinct_ids():
    assert keys.VENDOR_PUBLIC_KEYS
    for public in keys.VENDOR_PUBLIC_KEYS:
        keys.load(public)
    assert len({keys.key_id(k) for k in keys.VENDOR_PUBLIC_KEYS}) == len(keys.VENDOR_PUBLIC_KEYS)


def test_tests_trust_their_own_keys_and_the_hub_its_vendors(vendor):
    class State:
        pass

    state = State()
    assert keys.trusted_keys(state) == keys.VENDOR_PUBLIC_KEYS
    state.license_keys = (vendor.public_b64,)
    assert keys.trusted_keys(state) == (vendor.public_b64,)
    assert refused(vendor.issue(), keys.VENDOR_PUBLIC_KEYS) == "license_key_unknown"


@pytest.mark.parametrize("in_use, seats, expired_on, code", [
    (0, 0, None, None),
    (TRIAL_DEVICES - 1, 0, None, None),
    (TRIAL_DEVICES, 0, None, "license_seats_exhausted"),
    (TRIAL_DEVICES - 1, 0, "2026-01-31T00:00:00.000000Z", None),
    (TRIAL_DEVICES, 0, "2026-01-31T00:00:00.000000Z", "license_expired"),
    (TRIAL_DEVICES, 3, None, None),
    (2, 3, "2026-01-31T00:00:00.000000Z", None),
    (3, 3, None, "license_seats_exhausted"),
    (9, 3, None, "license_seats_exhausted"),
    (0, 1, None, None),
    (1, 1, None, "license_seats_exhausted"),
])
def test_pairing_is_refused_beyond_the_seats_of_active_licenses_or_the_trial(in_use, seats, expired_on, code):
    refusal = pairing_refusal(in_use=in_use, active_seats=seats, expired_on=expired_on)
    assert (refusal.code if refusal else None) == code
    if refusal is not None:
        assert refusal.status == 403 and str(in_use) in refusal.detail
        if code == "license_expired":
            assert "2026-01-31" in refusal.detail
