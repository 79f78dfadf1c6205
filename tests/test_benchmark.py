"""The pieces of `make bench` that run without a server: data and parsing."""

import pytest

from layers import synthetic
from layers.management.commands.benchmark import _parse_wrk
from layers.models import Layer, Score
from news.models import Development

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8100/
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.41ms    2.40ms  40.15ms   85.00%
    Req/Sec     0.97k    80.12     1.12k    70.00%
  Latency Distribution
     50%  812.00us
     75%   11.26ms
     90%   12.70ms
     99%    1.21s
  19338 requests in 10.01s, 1.01GB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 10
Requests/sec:   1931.83
Transfer/sec:    103.48MB
"""


def test_wrk_output_gives_rate_latencies_in_ms_and_every_error():
    result = _parse_wrk(WRK_OUTPUT)

    assert result.requests_per_second == pytest.approx(1931.83)
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1210)
    assert result.errors == 15


def test_wrk_output_without_errors_counts_none():
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line.lower()
    )
    clean = clean.replace("Non-2xx or 3xx responses: 10", "")

    assert _parse_wrk(clean).errors == 0


@pytest.mark.django_db
def test_synthetic_stack_has_the_sizes_asked_for(client):
    counts = synthetic.fill(layers=4, scores=40, developments=100)

    assert counts == {"layers": 4, "scores": 40, "developments": 100}
    assert Layer.objects.count() == 4
    assert Score.objects.count() == 40
    # Drafts and scheduled items are mixed in, as on a real site.
    assert 0 < Development.objects.published().count() < 100
    assert client.get("/").status_code == 200
    assert client.get(Layer.objects.first().get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_synthetic_stack_refuses_a_database_with_layers():
    synthetic.fill(layers=1, scores=2, developments=1)

    with pytest.raises(ValueError, match="empty database"):
        synthetic.fill(layers=1, scores=2, developments=1)
