import base64
import struct
import zlib

from hub.db.changes import changes_since
from hub.db.connection import connect


def png(width: int, height: int) -> bytes:
    """A real (tiny, all-white) PNG of the given size."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def audit_rows(hub):
    conn = connect(hub.db_path, readonly=True)
    try:
        return conn.execute("SELECT action, summary FROM audit_log ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_manager_updates_the_profile_and_it_is_published_and_audited_once(hub):
    client = hub.as_user("manager")
    before = len(audit_rows(hub))
    r = client.patch("/api/v1/settings/store", json={
        "legal_name": "Soko Retail (Pvt) Ltd", "tin": "2000123456", "vat_number": "220012345",
        "address": {"house_no": "12", "street": "Samora Machel Ave", "city": "Harare", "province": "Harare"},
        "receipt_footer": "Thank you for shopping with us"})
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["tin"] == "2000123456" and profile["address"]["city"] == "Harare"
    assert profile["name"] == "Soko Demo Store"  # untouched fields stay
    rows = audit_rows(hub)
    assert len(rows) == before + 1 and rows[-1][0] == "settings.store_updated"
    conn = connect(hub.db_path, readonly=True)
    try:
        keys = {c["entity_id"] for c in changes_since(conn, 0) if c["entity"] == "setting"}
    finally:
        conn.close()
    assert {"store.tin", "store.vat_number", "store.address", "receipt.footer"} <= keys
    assert client.get("/api/v1/settings/store").json() == profile


def test_an_unchanged_patch_writes_nothing(hub):
    client = hub.as_user("admin")
    before = len(audit_rows(hub))
    r = client.patch("/api/v1/settings/store", json={"name": "Soko Demo Store"})
    assert r.status_code == 200 and len(audit_rows(hub)) == before


def test_bad_values_are_refused_and_change_nothing(hub):
    client = hub.as_user("admin")
    profile = client.get("/api/v1/settings/store").json()
    before = len(audit_rows(hub))
    for body, status in (({"tin": "123"}, 400), ({"vat_number": "12345678X"}, 400), ({"code": "lower"}, 400),
                         ({"timezone": "Mars/Base"}, 422), ({"email": "not-an-email"}, 400),
                         ({"logo_png": base64.b64encode(b"GIF89a....").decode()}, 422),
                         ({"logo_png": "%%%"}, 422),
                         ({"logo_png": base64.b64encode(png(800, 10)).decode()}, 422),
                         ({"colour": "blue"}, 400)):
        r = client.patch("/api/v1/settings/store", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/settings/store").json() == profile
    assert len(audit_rows(hub)) == before


def test_logo_round_trips_and_its_bytes_stay_out_of_the_audit_log(hub):
    client = hub.as_user("admin")
    logo = png(384, 120)
    r = client.patch("/api/v1/settings/store", json={"logo_png": base64.b64encode(logo).decode()})
    assert r.status_code == 200 and (r.json()["logo_width"], r.json()["logo_height"]) == (384, 120)
    got = client.get("/api/v1/settings/store/logo.png")
    assert got.status_code == 200 and got.content == logo and got.headers["content-type"] == "image/png"
    action, summary = audit_rows(hub)[-1]
    assert action == "settings.store_updated" and "<logo>" in summary and base64.b64encode(logo).decode() not in summary
    assert client.patch("/api/v1/settings/store", json={"logo_png": ""}).json()["has_logo"] is False
    assert client.get("/api/v1/settings/store/logo.png").status_code == 404


def test_a_supervisor_reads_but_cannot_change_the_profile(hub):
    client = hub.as_user("supervisor")
    assert client.get("/api/v1/settings/store").status_code == 200
    assert client.patch("/api/v1/settings/store", json={"phone": "1"}).status_code == 403
