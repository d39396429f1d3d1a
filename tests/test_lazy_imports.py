"""What a running hub leaves unloaded until its feature is used: every module kept out of the
resident set here (hub.memory and BENCHMARKS.md say how much each is) has a check, so that an
import moved back to the top of a module shows up as a failure rather than as memory.

The hub runs as `serve` runs it, in a subprocess that signs a manager in and reads a little,
then lists its own sys.modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.hubtest import FAST_KDF, free_port, make_demo_store, make_settings

PROBE = textwrap.dedent("""
    import http.client, json, os, signal, ssl, sys, threading, time

    data_dir, port, username, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

    def call(conn, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        return response.status, response.read()

    def probe():
        try:
            context = ssl._create_unverified_context()  # the hub's own certificate
            deadline = time.monotonic() + 60
            while True:
                try:
                    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
                    if call(conn, "GET", "/api/v1/health")[0] == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            status, body = call(conn, "POST", "/api/v1/auth/login", {"username": username, "password": password})
            assert status == 201, (status, body)
            token = json.loads(body)["access_token"]
            for path in ("/api/v1/products?limit=5", "/api/v1/inventory/levels?limit=5"):
                status, body = call(conn, "GET", path, token=token)
                assert status == 200, (path, status, body[:300])
            # The workers that run on their own (the fiscal queue, the HQ link) have had a round.
            waited = time.monotonic() + 60
            while not {"hub.fiscal.service", "hub.bridge.worker"} <= set(sys.modules) and time.monotonic() < waited:
                time.sleep(0.1)
            time.sleep(0.5)
            print("MODULES " + json.dumps(sorted(sys.modules)), flush=True)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=probe, daemon=True).start()
    from hub.cli import main
    main(["--data-dir", data_dir, "serve", "--host", "127.0.0.1", "--port", str(port)])
""")

# Loaded only when their feature is first used.
NOT_LOADED_BY_A_SERVING_HUB = {
    "httpx": "the HQ link (cloud_bridge.link) before the hub is enrolled; FDMS (hub.fiscal.client) before a call",
    "rich": "httpx's own command line",
    "pygments": "httpx's own command line",
    "anyio.streams": "Litestar's event emitter, started only when the app has listeners (hub.app.ListenersOnlyEmitter)",
    "statistics": "the clock keeper's median of the tills' clocks (hub.ops.clock.TillClockKeeper.propose)",
}


def _serving_modules(tmp_path) -> set[str]:
    settings = make_settings(tmp_path)
    store = make_demo_store(settings)
    username, _role, password, _pin = next(c for c in store.credentials if c[0] == "manager")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")}
    env.update({"SOKO_HUB_KDF_TIME_COST": str(FAST_KDF["kdf_time_cost"]),
                "SOKO_HUB_KDF_MEMORY_KIB": str(FAST_KDF["kdf_memory_kib"]),
                "SOKO_HUB_MDNS": "false", "SOKO_HUB_SCANNER_AUTODETECT": "false", "SOKO_HUB_LOG_LEVEL": "warning"})
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    done = subprocess.run([sys.executable, str(script), str(tmp_path), str(free_port()), username, password],
                          capture_output=True, text=True, timeout=120, env=env)
    line = next((x for x in done.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, done.stdout + done.stderr
    return set(json.loads(line.removeprefix("MODULES ")))


def test_a_serving_hub_does_not_load_what_only_an_unused_feature_needs(tmp_path):
    modules = _serving_modules(tmp_path)
    # The probe saw a serving hub whose fiscal worker and HQ link had run.
    assert {"hub.app", "cloud_bridge.link", "hub.bridge.worker", "hub.fiscal.service"} <= modules
    loaded = {m: why for m, why in NOT_LOADED_BY_A_SERVING_HUB.items()
              if any(name == m or name.startswith(m + ".") for name in modules)}
    assert loaded == {}


def test_the_hq_link_loads_httpx_when_the_first_link_is_made():
    out = subprocess.run([sys.executable, "-c",
                          "import sys, cloud_bridge.link as link; print('httpx' in sys.modules); "
                          "link.Link('https://hq.example', token='t').close(); print('httpx' in sys.modules)"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "True"]


def test_the_fdms_client_loads_httpx_on_its_first_call():
    out = subprocess.run([sys.executable, "-c",
                          "import sys; from hub.fiscal import client, offline, service; "
                          "print('httpx' in sys.modules); client.timeout(); print('httpx' in sys.modules)"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "True"]
