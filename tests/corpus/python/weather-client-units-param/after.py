"""Client for the weather forecast provider."""

from dataclasses import dataclass
from datetime import date

import requests


@dataclass
class DayForecast:
    day: date
    low: float
    high: float
    summary: str


class WeatherError(RuntimeError):
    pass


class WeatherClient:
    def __init__(self, api_key: str, base_url: str = "https://api.weather.example.com/v2") -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["X-Api-Key"] = api_key

    def forecast(self, city: str, days: int = 3, units: str = "metric") -> list[DayForecast]:
        response = self.session.get(
            f"{self.base_url}/forecast",
            params={"q": city, "days": days, "units": units},
            timeout=10,
        )
        if response.status_code == 404:
            raise WeatherError(f"unknown city {city!r}")
        response.raise_for_status()
        result = []
        for item in response.json()["days"]:
            result.append(DayForecast(
                day=date.fromisoformat(item["date"]),
                low=item["min"],
                high=item["max"],
                summary=item["text"],
            ))
        return result
