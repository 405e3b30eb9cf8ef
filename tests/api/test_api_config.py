"""config.py: development defaults, production's refusal, environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from votesvc import create_app
from votesvc.app import settings_module

config = settings_module()


def test_development_defaults(tmp_path: Path) -> None:
    settings = config.load(tmp_path, {}, {})
    assert settings["VOTESVC_ENV"] == "development"
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'votesvc.sqlite3'}"
    assert settings["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    secret_file = tmp_path / "secret_key"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert len(settings["SECRET_KEY"]) >= 48
    assert config.load(tmp_path, {}, {})["SECRET_KEY"] == settings["SECRET_KEY"]  # kept


def test_environment_variables(tmp_path: Path) -> None:
    environ = {
        "VOTESVC_DATABASE_URL": "postgresql+psycopg://votesvc@db/votesvc",
        "VOTESVC_SECRET_KEY": "from-the-environment",
        "VOTESVC_MAX_CONTENT_LENGTH": "2048",
        "VOTESVC_ENV": "production",
    }
    settings = config.load(tmp_path, environ, {})
    assert settings["SQLALCHEMY_DATABASE_URI"] == environ["VOTESVC_DATABASE_URL"]
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["MAX_CONTENT_LENGTH"] == 2048
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="VOTESVC_SECRET_KEY"):
        config.load(tmp_path, {"VOTESVC_ENV": "production"}, {})
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"VOTESVC_ENV": "staging"}, "VOTESVC_ENV"),
        ({"VOTESVC_MAX_CONTENT_LENGTH": "lots"}, "VOTESVC_MAX_CONTENT_LENGTH"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.load(tmp_path, environ, {})


def test_the_factory_uses_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOTESVC_DATABASE_URL", raising=False)
    monkeypatch.delenv("VOTESVC_SECRET_KEY", raising=False)
    monkeypatch.setenv("VOTESVC_INSTANCE_PATH", str(tmp_path / "here"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "here")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("here/votesvc.sqlite3")
    assert (tmp_path / "here" / "secret_key").is_file()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"VOTESVC_ENV": "production", "VOTESVC_SECRET_KEY": "s" * 40}, ""),
        ({"VOTESVC_PUBLIC_URL": "https://vote.example.kr/"}, "https://vote.example.kr"),
        ({"VOTESVC_PUBLIC_URL": "https://city.example.kr/pb/"}, "https://city.example.kr/pb"),
    ],
)
def test_public_url(tmp_path: Path, environ: dict[str, str], expected: str) -> None:
    assert config.load(tmp_path, environ, {})["VOTESVC_PUBLIC_URL"] == expected


@pytest.mark.parametrize(
    "raw",
    [
        "vote.example.kr",
        "ftp://vote.example.kr",
        "https://",
        "https://a.kr/?x=1",
        "https://a.kr/#x",
    ],
)
def test_public_url_that_links_cannot_be_built_on_is_refused(tmp_path: Path, raw: str) -> None:
    with pytest.raises(config.ConfigError, match="VOTESVC_PUBLIC_URL"):
        config.load(tmp_path, {"VOTESVC_PUBLIC_URL": raw}, {})
