import re
from pathlib import Path

import msgspec
import pytest

from hub.settings import Settings, SettingsError, load_settings, setting_docs

DOC = Path(__file__).parent.parent / "docs" / "settings.md"


def test_defaults_apply_without_file_or_environment(tmp_path):
    settings = load_settings({}, config_file=tmp_path / "absent.toml")
    assert settings == Settings()


def test_environment_overrides_file(tmp_path):
    toml = tmp_path / "hub.toml"
    toml.write_text('port = 9000\nhost = "0.0.0.0"\n')
    settings = load_settings({"SOKO_HUB_PORT": "9100"}, config_file=toml)
    assert (settings.port, settings.host) == (9100, "0.0.0.0")


def test_config_file_named_by_environment(tmp_path):
    toml = tmp_path / "other.toml"
    toml.write_text("reader_connections = 5\n")
    assert load_settings({"SOKO_HUB_CONFIG": str(toml)}).reader_connections == 5


def test_unknown_environment_setting_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="SOKO_HUB_PROT"):
        load_settings({"SOKO_HUB_PROT": "1"}, config_file=tmp_path / "none")


def test_unknown_file_setting_is_refused(tmp_path):
    toml = tmp_path / "hub.toml"
    toml.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="colour"):
        load_settings({}, config_file=toml)


@pytest.mark.parametrize("name,value", [("SOKO_HUB_PORT", "70000"), ("SOKO_HUB_PORT", "eighty"),
                                        ("SOKO_HUB_LOG_LEVEL", "loud")])
def test_out_of_range_value_is_refused(tmp_path, name, value):
    with pytest.raises(SettingsError):
        load_settings({name: value}, config_file=tmp_path / "none")


def test_broken_toml_names_the_file(tmp_path):
    toml = tmp_path / "hub.toml"
    toml.write_text("port = = 1\n")
    with pytest.raises(SettingsError, match="hub.toml"):
        load_settings({}, config_file=toml)


def test_every_setting_has_a_description():
    missing = [name for name, doc in setting_docs().items() if not doc.strip()]
    assert not missing


def test_settings_reference_documents_exactly_the_settings():
    documented = set(re.findall(r"^\| `([a-z_]+)` \| `SOKO_HUB_", DOC.read_text(), re.M))
    fields = {f.name for f in msgspec.structs.fields(Settings)}
    assert documented == fields, f"undocumented: {fields - documented}; stale: {documented - fields}"
