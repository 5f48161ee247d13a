import pytest

from action_hub.config import EU_HOST, US_HOST, ConfigError, load_settings

BASE = {
    "ACTION_HUB_BASE_URL": "https://hub.example.com/",
    "ACTION_HUB_LABEL": "Segment",
    "ACTION_HUB_SECRET": "not-a-real-secret",
}


def test_defaults_point_at_segments_us_host():
    settings = load_settings(BASE)
    assert settings.segment_host == US_HOST
    assert settings.base_url == "https://hub.example.com"


def test_eu_host_is_accepted():
    settings = load_settings({**BASE, "SEGMENT_API_HOST": EU_HOST + "/"})
    assert settings.segment_host == EU_HOST


@pytest.mark.parametrize(
    "name", ["ACTION_HUB_BASE_URL", "ACTION_HUB_LABEL", "ACTION_HUB_SECRET"]
)
def test_missing_required_setting_is_named(name):
    env = {k: v for k, v in BASE.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        load_settings(env)


def test_empty_secret_is_allowed_only_in_insecure_dev_mode():
    env = {**BASE, "ACTION_HUB_SECRET": " "}
    with pytest.raises(ConfigError, match="ACTION_HUB_INSECURE_DEV"):
        load_settings(env)
    assert load_settings({**env, "ACTION_HUB_INSECURE_DEV": "1"}).insecure_dev


@pytest.mark.parametrize(
    "name, value",
    [
        ("SEGMENT_API_HOST", "api.segment.io"),
        ("SEGMENT_API_HOST", "https://api.segment.io/v1"),
        ("ACTION_HUB_KEEPALIVE_SECONDS", "soon"),
        ("ACTION_HUB_MAX_BODY_MB", "-1"),
        ("ACTION_HUB_LOG_FORMAT", "xml"),
    ],
)
def test_malformed_setting_is_named(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({**BASE, name: value})


def test_secret_never_appears_in_repr():
    assert "not-a-real-secret" not in repr(load_settings(BASE))


def test_upload_threads_default_to_four_and_can_be_set():
    assert load_settings(BASE).upload_threads == 4
    assert load_settings({**BASE, "SEGMENT_UPLOAD_THREADS": "8"}).upload_threads == 8
