"""EmulatorConfig from files and the environment, with clear errors for bad input."""

from __future__ import annotations

import pytest

from agentctl.emulator import EmulatorConfig, EmulatorConfigError
from agentctl.exitcodes import ExitCode


def test_defaults_are_short_but_not_zero_and_faults_off() -> None:
    cfg = EmulatorConfig()
    assert cfg.durations.create == 0.3 and cfg.durations.prepare == 0.5 and cfg.durations.alias == 0.2
    assert cfg.time_scale == 1.0 and not cfg.faults.active
    assert cfg.quotas.instruction_characters == 20_000 and cfg.page_size_cap == 10


def test_load_yaml_file_with_nested_sections(tmp_path) -> None:
    path = tmp_path / "emu.yaml"
    path.write_text("time_scale: 0\ndurations: {prepare: 2}\nquotas: {agents_per_account: 5}\n"
                    "faults: {seed: 7, throttle: probability, throttle_probability: 0.5, operations: [GetAgent]}\n"
                    "update_settles_to: PREPARED\n")
    cfg = EmulatorConfig.load(path)
    assert cfg.time_scale == 0 and cfg.scaled(cfg.durations.prepare) == 0
    assert cfg.durations.prepare == 2 and cfg.durations.create == 0.3
    assert cfg.quotas.agents_per_account == 5
    assert cfg.faults.seed == 7 and cfg.faults.operations == ("GetAgent",) and cfg.faults.active
    assert cfg.update_settles_to == "PREPARED"


def test_json_file_and_env_overrides(tmp_path) -> None:
    path = tmp_path / "emu.json"
    path.write_text('{"durations": {"create": 1.5}, "page_size_cap": 3}')
    env = {"AGENTCTL_EMULATOR_CONFIG": str(path), "AGENTCTL_EMULATOR_TIME_SCALE": "0.5",
           "AGENTCTL_EMULATOR_FAULTS": '{"seed": 1, "internal_error_probability": 0.1}',
           "AGENTCTL_EMULATOR_DURATIONS": '{"prepare": 4}',
           "AGENTCTL_ENV": "not ours", "AGENTCTL_EMULATOR": "no trailing underscore: not ours"}
    cfg = EmulatorConfig.from_env(env)
    assert cfg.page_size_cap == 3 and cfg.time_scale == 0.5
    assert (cfg.durations.create, cfg.durations.prepare) == (1.5, 4)
    assert cfg.faults.seed == 1 and cfg.faults.internal_error_probability == 0.1
    assert EmulatorConfig.from_env({}) == EmulatorConfig()


@pytest.mark.parametrize("name,suggestion", [
    ("AGENTCTL_EMULATOR_TIMESCALE", "did you mean AGENTCTL_EMULATOR_TIME_SCALE?"),
    ("AGENTCTL_EMULATOR_FAULT", "did you mean AGENTCTL_EMULATOR_FAULTS?"),
    ("AGENTCTL_EMULATOR_CONFG", "did you mean AGENTCTL_EMULATOR_CONFIG?"),
    ("AGENTCTL_EMULATOR_STATE", "AGENTCTL_EMULATOR_<SETTING> for SETTING in ALIAS_HISTORY_MAX"),
])
def test_unknown_emulator_variables_are_refused_with_the_closest_name(name, suggestion) -> None:
    with pytest.raises(EmulatorConfigError) as exc:
        EmulatorConfig.from_env({name: "0", "AGENTCTL_EMULATOR_TIME_SCALE": "0"})
    text = str(exc.value)
    assert f"unknown emulator variable {name}" in text and suggestion in text
    assert exc.value.exit_code == ExitCode.USAGE


def test_every_known_emulator_variable_is_accepted() -> None:
    from agentctl.emulator.config import env_names

    names = env_names()
    assert {"AGENTCTL_EMULATOR_CONFIG", "AGENTCTL_EMULATOR_TIME_SCALE",
            "AGENTCTL_EMULATOR_FAULTS"} <= names
    assert EmulatorConfig.from_env({"AGENTCTL_EMULATOR_CONFIG": ""}) == EmulatorConfig()


@pytest.mark.parametrize("data,fragment", [
    ({"no_such_setting": 1}, "unknown emulator setting(s): no_such_setting"),
    ({"durations": {"creat": 1}}, "unknown emulator setting(s): creat"),
    ({"update_settles_to": "READY"}, "must be one of NOT_PREPARED, PREPARED"),
    ({"time_scale": "fast"}, "must be a number"),
    ({"faults": {"throttle_probability": 2}}, "is a probability"),
    ({"page_size_cap": 2.5}, "must be a whole number"),
    ({"page_size_cap": 0}, "must be at least 1"),
    ({"subresource_edit_unprepares": "yes"}, "must be true or false"),
])
def test_bad_settings_are_clear_errors(data, fragment) -> None:
    with pytest.raises(EmulatorConfigError) as exc:
        EmulatorConfig.from_mapping(data, where="emu.yaml")
    assert fragment in str(exc.value) and "emu.yaml" in str(exc.value)


def test_unreadable_or_invalid_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(EmulatorConfigError, match="cannot read emulator config"):
        EmulatorConfig.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("durations: [unclosed\n")
    with pytest.raises(EmulatorConfigError, match="not valid YAML/JSON"):
        EmulatorConfig.load(bad)
    with pytest.raises(EmulatorConfigError, match="AGENTCTL_EMULATOR_FAULTS"):
        EmulatorConfig.from_env({"AGENTCTL_EMULATOR_FAULTS": "{bad: [}"})
