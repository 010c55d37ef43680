"""Helpers of the metrics tests: scrape `/metrics` as Prometheus would and read samples."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Scraper:
    def __init__(self) -> None:
        # What a scraper on the same host looks like: loopback, no forwarding header.
        self.client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")

    def get(self, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.get("/metrics", **extra)

    def samples(self, **extra: str) -> Samples:
        response = self.get(**extra)
        assert response.status_code == 200, response.content[:200]
        assert response["Content-Type"].startswith("text/plain; version=")
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.content.decode())
            for s in family.samples
        }

    def families(self) -> set[str]:
        response = self.get()
        assert response.status_code == 200
        return {f.name for f in text_string_to_metric_families(response.content.decode())}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0 when absent (a counter nobody incremented yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scraper() -> Scraper:
    return Scraper()
