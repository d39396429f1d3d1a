"""First boot without soko-hub-setup.toml: a setup code for the portal's wizard, and a hub unit
that starts on either a store or that code (the scripts themselves pass shellcheck in test_overlay)."""

import re
import subprocess
from pathlib import Path

IMAGE = Path(__file__).resolve().parents[2] / "image"
FIRSTBOOT = IMAGE / "overlay/usr/lib/soko-hub/firstboot"
UNIT = IMAGE / "overlay/etc/systemd/system/soko-hub.service"


def test_the_hub_unit_starts_on_a_store_or_a_setup_code():
    conditions = [line for line in UNIT.read_text().splitlines() if line.startswith("ConditionPathExists=")]
    assert conditions == ["ConditionPathExists=|/var/lib/soko-hub/hub.db",
                          "ConditionPathExists=|/var/lib/soko-hub/setup-code"]


def test_first_boot_makes_a_setup_code_only_without_a_store_and_reports_it():
    text = FIRSTBOOT.read_text()
    block = re.search(r'\nif \[ ! -e "\$DATA/hub.db" \]; then\n(.*?)\nfi\n', text[text.index("# 2b."):], re.S)
    assert block and 'as_hub "$VENV/bin/soko-hub" setup-code' in block.group(1)
    # Made after the store step (a set-up file's store wins) and before the report that shows it.
    assert text.index("# 2. The store") < text.index("setup-code)") < text.index("report() {")
    assert "enter the setup code: ${setup_code" in text


def test_the_report_shows_the_code_when_there_is_no_store(tmp_path):
    """The report function, run alone with a made-up code and no store."""
    text = FIRSTBOOT.read_text()
    report = text[text.index("report() {"):text.index("\n}\n", text.index("report() {")) + 3]
    script = (f'DATA={tmp_path}\nname=soko-hub-ab12\npin=PIN\npassphrase=pass\nssh_state=off\n'
              f'setup_code=abcd-efgh-jk23\n{report}report\n')
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert "setup code: abcd-efgh-jk23" in out and "https://soko-hub-ab12.local/" in out
    assert "noted the passphrase and the setup code" in out
