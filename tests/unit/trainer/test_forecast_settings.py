"""The path forecaster's settings and `candlecast train --forecast-steps` reach the run's TrainConfig."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from candlecast.cli.main import main
from candlecast.trainer.cli import train_config
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.settings import TrainerSettings


def test_defaults_are_the_issues(monkeypatch) -> None:
    for name in ("FORECAST", "FORECAST_STEPS", "FORECAST_BAND"):
        monkeypatch.delenv(f"CANDLECAST_{name}", raising=False)
    assert TrainerSettings().train_config().forecast == ForecastConfig()
    assert ForecastConfig().steps == 12
    assert ForecastConfig().band == (0.1, 0.9)


def test_environment_reaches_the_forecast_config(monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_FORECAST_STEPS", "300")
    monkeypatch.setenv("CANDLECAST_FORECAST_BAND", "[0.05, 0.95]")
    monkeypatch.setenv("CANDLECAST_FORECAST_COVERAGE_BOUNDS", "[0.7, 0.9]")
    monkeypatch.setenv("CANDLECAST_FORECAST_CRPS_TOLERANCE", "0.05")
    forecast = TrainerSettings().train_config().forecast
    assert forecast is not None
    assert (forecast.steps, forecast.band) == (300, (0.05, 0.95))
    assert (forecast.coverage_bounds, forecast.crps_tolerance) == ((0.7, 0.9), 0.05)


def test_the_off_switch_leaves_no_forecaster(monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_FORECAST", "false")
    assert TrainerSettings().train_config().forecast is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("forecast_steps", 0),
        ("forecast_steps", 301),
        ("forecast_band", (0.1, 0.4)),
        ("forecast_band", (0.105, 0.9)),
        ("forecast_coverage_bounds", (0.9, 0.7)),
        ("forecast_crps_tolerance", -0.01),
    ],
)
def test_bad_values_are_refused_at_start_up(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        TrainerSettings(**{field: value})


def test_train_command_line_overrides_the_steps_or_turns_the_forecaster_off() -> None:
    settings = TrainerSettings(forecast_steps=12, forecast_band=(0.2, 0.8))
    config = train_config(settings, trials=3, forecast_steps=48)
    assert config.trials == 3
    assert config.forecast == ForecastConfig(steps=48, band=(0.2, 0.8))
    assert train_config(settings, 3, forecast_steps=0).forecast is None
    assert train_config(settings, 3, forecast_steps=None).forecast == ForecastConfig(band=(0.2, 0.8))
    off = TrainerSettings(forecast=False)
    assert train_config(off, 3, forecast_steps=5).forecast == ForecastConfig(steps=5)


def test_train_refuses_steps_past_300(tmp_path, capsys) -> None:
    assert main(["train", "--data", str(tmp_path / "x.parquet"), "--forecast-steps", "301"]) != 0
    assert "--forecast-steps" in capsys.readouterr().err
