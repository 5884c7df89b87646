"""The settings: read from the environment once, validated, with the deployed defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from vigil.config import Settings


def test_a_deployed_stack_keeps_the_strict_defaults() -> None:
    settings = Settings.from_environment({"VIGIL_TABLE": "vigil-prod"})
    assert settings.table_name == "vigil-prod"
    assert settings.webhook_schemes == {"https"} and not settings.webhook_allow_loopback
    assert settings.ssm_automation and settings.retry_base_seconds == 5


def test_the_local_runtime_settings_are_explicit() -> None:
    from local.settings import LOCAL_SETTINGS

    settings = Settings.from_environment(LOCAL_SETTINGS)
    assert settings.webhook_schemes == {"https", "http"}
    assert settings.webhook_allow_loopback and not settings.ssm_automation


def test_values_are_normalized() -> None:
    settings = Settings.from_environment(
        {"VIGIL_PUBLIC_URL": "https://vigil.example/", "AWS_DEFAULT_REGION": "eu-west-1"}
    )
    assert settings.public_base_url == "https://vigil.example" and settings.region == "eu-west-1"


@pytest.mark.parametrize(
    "env",
    [
        {"VIGIL_WEBHOOK_SCHEMES": "ftp"},
        {"VIGIL_WEBHOOK_SCHEMES": ""},
        {"VIGIL_RETRY_BASE_SECONDS": "soon"},
        {"VIGIL_RETRY_BASE_SECONDS": "-1"},
    ],
)
def test_a_wrong_setting_fails_at_cold_start_naming_it(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as error:
        Settings.from_environment(env)
    assert next(iter(env)).removeprefix("VIGIL_").lower() in str(error.value)
