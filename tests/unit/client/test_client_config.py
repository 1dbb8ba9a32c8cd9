"""Settings from arguments and the seed's environment variables."""

from __future__ import annotations

import pytest

from cocalc_compute_wasm.client import ConfigError, resolve_config

ENV = {
    "API_SERVER": "http://127.0.0.1:8765",
    "PROJECT_ID": "10f0e544-313c-4efe-8718-2142ac97ad11",
    "API_KEY": "sk-secret",
}


def test_the_environment_fills_what_the_caller_left_out():
    config = resolve_config(environ=ENV)
    assert config.ws_url == "http://127.0.0.1:8765/10f0e544-313c-4efe-8718-2142ac97ad11/raw/.smc/ws"
    assert config.headers == {"Authorization": "Bearer sk-secret"}
    assert "sk-secret" not in repr(config)
    assert "sk-secret" not in config.ws_url


def test_arguments_win_over_the_environment():
    config = resolve_config("https://example.org/", "p1", "k1", "/cocalc", environ=ENV)
    assert config.ws_url == "https://example.org/cocalc/p1/raw/.smc/ws"
    assert config.api_key == "k1"


@pytest.mark.parametrize(
    ("env", "base_path"),
    [
        ({}, "/"),
        ({"BASE_PATH": "/"}, "/"),
        ({"BASE_PATH": "a/b"}, "/a/b/"),
        ({"API_BASE_PATH": "/x/"}, "/x/"),
        ({"BASE_PATH": "/first", "API_BASE_PATH": "/second"}, "/first/"),
    ],
)
def test_base_path_comes_from_base_path_or_api_base_path(env, base_path):
    assert resolve_config(environ={**ENV, **env}).base_path == base_path


@pytest.mark.parametrize(
    ("missing", "argument"),
    [("API_SERVER", "server="), ("PROJECT_ID", "project_id="), ("API_KEY", "api_key=")],
)
def test_a_missing_setting_is_named(missing, argument):
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=f"{missing} is not set: pass {argument}") as error:
        resolve_config(environ=env)
    assert isinstance(error.value, ValueError)


def test_an_empty_variable_counts_as_missing():
    with pytest.raises(ConfigError, match="API_KEY is not set"):
        resolve_config(environ={**ENV, "API_KEY": ""})


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ("127.0.0.1:8765", "http"),
        ("ftp://host", "http"),
        ("http://host/base", "BASE_PATH"),
        ("http://host?x=1", "BASE_PATH"),
    ],
)
def test_a_server_must_be_an_origin(server, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config(environ={**ENV, "API_SERVER": server})


def test_a_project_id_cannot_change_the_path():
    with pytest.raises(ConfigError, match="PROJECT_ID"):
        resolve_config(environ={**ENV, "PROJECT_ID": "../other"})
