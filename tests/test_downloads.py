"""/data/: the open-data page and its CSV, JSON and zip files."""

import csv
import datetime
import io
import json
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.http import StreamingHttpResponse
from django.utils import timezone

from layers import exports
from layers.models import Score, ScoreConfidence, Side
from news.models import Development
from tests.factories import (
    add_development,
    add_metric,
    add_score,
    add_value,
    make_layer,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
FIRST = datetime.date(2025, 3, 1)
LATEST = datetime.date(2026, 12, 2)
SECRET_NOTE = "Internal: call the ministry before publishing"
DRAFT_TITLE = "Draft about gallium"
SCHEDULED_TITLE = "Scheduled about germanium"
FILES = [
    f"{dataset.slug}.{extension}"
    for dataset in exports.DATASETS
    for extension in ("csv", "json")
]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def content():
    """Two layers; one has a score history, figures and news of every state."""
    minerals = make_layer("Critical Minerals", position=1, internal_notes=SECRET_NOTE)
    power = make_layer("Power Infrastructure", position=2)
    add_score(minerals, Side.US, "2.5", as_of=FIRST, source="USGS 2024")
    add_score(minerals, Side.CHINA, "8.5", as_of=FIRST, source="IEA 2024")
    us = add_score(
        minerals,
        Side.US,
        "4.0",
        as_of=LATEST,
        rationale='New refineries, "finally", in Texas.',
        source="USGS 2026",
        confidence=ScoreConfidence.LOW,
    )
    add_score(minerals, Side.CHINA, "8.0", as_of=LATEST, source="IEA 2026")
    add_score(power, Side.US, "6.0", as_of=LATEST)
    add_score(power, Side.CHINA, "7.5", as_of=LATEST)
    metric = add_metric(minerals, "Rare earth refining share", key="refining")
    add_value(metric, Side.US, 10, 12, unit="%", year=2025, source="IEA")
    add_value(metric, Side.CHINA, text="about 90", source="USGS")
    add_metric(minerals, "Recycling rate")
    public = add_development(
        minerals,
        "Texas refinery opens",
        now=timezone.make_aware(datetime.datetime(2026, 12, 1, 12)),
        days_ago=0,
        category="Supply Chain",
        source='Reuters, "exclusive"',
        source_url="https://www.reuters.com/markets/texas-refinery/",
    )
    draft = add_development(
        minerals, DRAFT_TITLE, status=Development.Status.DRAFT, days_ago=2
    )
    scheduled = add_development(minerals, SCHEDULED_TITLE, days_ago=-3)
    us.developments.add(public, draft, scheduled)
    return {"minerals": minerals, "power": power, "us": us, "public": public}


def body_of(response):
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response):
    text = body_of(response)
    assert text.startswith(exports.BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(exports.BOM))))


def json_of(response):
    return json.loads(body_of(response))


# The page


def test_data_page_links_to_every_file_and_the_zip(client, content):
    html = client.get("/data/").text

    for name in FILES:
        assert f'href="/data/{name}"' in html
    assert 'href="/data/tracker-data.zip"' in html


def test_data_page_documents_every_column(client, content):
    html = client.get("/data/").text

    for dataset in exports.DATASETS:
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in html


def test_data_page_states_the_licence_the_encoding_and_how_to_cite(client):
    html = client.get("/data/").text

    assert "CC BY 4.0" in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert "byte order mark" in html
    assert "How to cite" in html or "how to cite" in html


def test_layer_page_links_to_its_own_downloads(client, content):
    html = client.get(content["minerals"].get_absolute_url()).text

    assert "Download this layer’s data" in html
    for dataset in ("scores", "score-history", "metrics", "developments"):
        assert f'href="/data/{dataset}.csv?layer=critical-minerals"' in html
        assert f'href="/data/{dataset}.json?layer=critical-minerals"' in html
    assert 'href="/data/tracker-data.zip?layer=critical-minerals"' in html


# CSV


def test_csv_is_utf8_with_a_byte_order_mark_and_names_its_file(client, content):
    response = client.get("/data/scores.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="ai-stack-tracker-scores.csv"'
    )
    assert body_of(response).startswith("\ufeffid,layer,layer_name,side,")


@pytest.mark.parametrize("dataset", exports.DATASETS, ids=lambda d: d.slug)
def test_csv_header_is_the_documented_columns(client, content, dataset):
    text = body_of(client.get(f"/data/{dataset.slug}.csv"))

    header = next(csv.reader(io.StringIO(text.removeprefix(exports.BOM))))
    assert header == [column.name for column in dataset.columns]


def test_scores_csv_has_each_sides_current_score_in_stack_order(client, content):
    rows = csv_rows(client.get("/data/scores.csv"))

    assert [(r["layer"], r["side"], r["score"]) for r in rows] == [
        ("critical-minerals", "us", "4.0"),
        ("critical-minerals", "china", "8.0"),
        ("power-infrastructure", "us", "6.0"),
        ("power-infrastructure", "china", "7.5"),
    ]


def test_scores_csv_carries_reasons_confidence_review_and_links(client, content):
    us = csv_rows(client.get("/data/scores.csv"))[0]

    assert us["rationale"] == 'New refineries, "finally", in Texas.'
    assert us["source"] == "USGS 2026"
    assert us["previous_score"] == "2.5"
    assert us["as_of"] == "2026-12-02"
    assert us["confidence"] == "low"
    assert us["review_due"] == "2027-03-02"
    assert us["development_ids"] == str(content["public"].pk)


def test_score_history_csv_has_every_assessment_oldest_first(client, content):
    rows = csv_rows(client.get("/data/score-history.csv?layer=critical-minerals"))

    assert [(r["side"], r["as_of"], r["previous_score"], r["score"]) for r in rows] == [
        ("us", "2025-03-01", "", "2.5"),
        ("us", "2026-12-02", "2.5", "4.0"),
        ("china", "2025-03-01", "", "8.5"),
        ("china", "2026-12-02", "8.5", "8.0"),
    ]
    assert [r["source"] for r in rows] == [
        "USGS 2024",
        "USGS 2026",
        "IEA 2024",
        "IEA 2026",
    ]


def test_metrics_csv_has_figures_ranges_text_and_metrics_without_any(client, content):
    rows = csv_rows(client.get("/data/metrics.csv"))

    assert [
        (r["metric"], r["side"], r["low"], r["high"], r["text"], r["unit"], r["year"])
        for r in rows
    ] == [
        ("Rare earth refining share", "us", "10.0", "12.0", "", "%", "2025"),
        ("Rare earth refining share", "china", "", "", "about 90", "", ""),
        ("Recycling rate", "", "", "", "", "", ""),
    ]
    assert rows[0]["metric_key"] == "refining"
    assert (rows[0]["source"], rows[0]["confidence"]) == ("IEA", "solid")


def test_developments_csv_lists_only_published_ones(client, content):
    rows = csv_rows(client.get("/data/developments.csv"))

    assert [r["title"] for r in rows] == ["Texas refinery opens"]
    row = rows[0]
    assert row["published_at"] == "2026-12-01T17:00:00+00:00"
    assert row["category"] == "Supply Chain"
    assert row["date_is_known"] == "true"
    assert row["url"] == (
        "http://testserver/news/critical-minerals/texas-refinery-opens/"
    )
    assert row["score_ids"] == str(content["us"].pk)
    assert row["source"] == 'Reuters, "exclusive"'
    assert row["source_url"] == "https://www.reuters.com/markets/texas-refinery/"


def test_developments_json_names_the_source_or_leaves_it_empty(client, content):
    add_development(content["power"], "Grid plan", days_ago=3)

    items = json_of(client.get("/data/developments.json"))["items"]

    assert [(i["title"], i["source"], i["source_url"]) for i in items] == [
        (
            "Texas refinery opens",
            'Reuters, "exclusive"',
            "https://www.reuters.com/markets/texas-refinery/",
        ),
        ("Grid plan", "", ""),
    ]


def test_zip_readme_explains_the_source_columns(client, content):
    readme = zip_of(client.get("/data/tracker-data.zip")).read("README.txt")

    text = readme.decode("utf-8")
    assert "  source: Who reported it, e.g. Reuters" in text
    assert "  source_url: The source's web page" in text


# JSON


@pytest.mark.parametrize("dataset", exports.DATASETS, ids=lambda d: d.slug)
def test_json_is_an_object_with_the_licence_and_items_of_the_columns(
    client, content, dataset
):
    response = client.get(f"/data/{dataset.slug}.json")

    assert response["Content-Type"] == "application/json"
    data = json_of(response)
    assert data["dataset"] == dataset.slug
    assert data["licence"] == "CC BY 4.0"
    assert (data["layer"], data["as_of"]) == (None, None)
    assert data["items"]
    for item in data["items"]:
        assert list(item) == [column.name for column in dataset.columns]


def test_json_keeps_numbers_lists_and_nulls_as_json(client, content):
    items = json_of(client.get("/data/score-history.json"))["items"]

    first, second = items[0], items[1]
    assert first["score"] == 2.5
    assert first["previous_score"] is None
    assert second["previous_score"] == 2.5
    assert second["development_ids"] == [content["public"].pk]


def test_json_of_no_rows_is_still_valid(client):
    data = json_of(client.get("/data/developments.json"))

    assert data["items"] == []


# Filters


@pytest.mark.parametrize("name", FILES)
def test_layer_parameter_keeps_only_that_layer(client, content, name):
    response = client.get(f"/data/{name}?layer=power-infrastructure")

    if name.endswith(".json"):
        data = json_of(response)
        assert data["layer"] == "power-infrastructure"
        layers = {item["layer"] for item in data["items"]}
    else:
        layers = {row["layer"] for row in csv_rows(response)}
    assert layers <= {"power-infrastructure"}


def test_layer_parameter_names_the_file_after_the_layer(client, content):
    response = client.get("/data/metrics.json?layer=critical-minerals")

    assert (
        "ai-stack-tracker-metrics-critical-minerals.json"
        in (response["Content-Disposition"])
    )


def test_unknown_layer_is_not_found(client, content):
    assert client.get("/data/scores.csv?layer=moon-mining").status_code == 404


def test_unknown_file_is_not_found(client):
    assert client.get("/data/everything.csv").status_code == 404
    assert client.get("/data/scores.xlsx").status_code == 404


def test_as_of_gives_the_scores_and_news_of_that_day(client, content):
    scores = csv_rows(client.get("/data/scores.csv?as_of=2026-01-01"))
    news = csv_rows(client.get("/data/developments.csv?as_of=2026-01-01"))
    later = csv_rows(client.get("/data/developments.csv?as_of=2026-12-01"))

    assert [(r["layer"], r["score"], r["as_of"]) for r in scores] == [
        ("critical-minerals", "2.5", "2025-03-01"),
        ("critical-minerals", "8.5", "2025-03-01"),
    ]
    assert news == []
    assert [r["title"] for r in later] == ["Texas refinery opens"]


def test_as_of_before_a_development_drops_its_link_from_scores(client, content):
    Score.objects.filter(pk=content["us"].pk).update(as_of=datetime.date(2026, 6, 1))

    rows = csv_rows(client.get("/data/scores.csv?as_of=2026-07-01"))

    assert rows[0]["development_ids"] == ""


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01", "2026-1-1", "20261202", "2026-W49-3"]
)
def test_unreadable_as_of_is_a_bad_request(client, content, value):
    response = client.get(f"/data/scores.csv?as_of={value}")

    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.text


@pytest.mark.parametrize(
    "name", ["scores.csv", "developments.json", "tracker-data.zip"]
)
def test_future_as_of_is_a_bad_request_that_says_so(client, content, name):
    response = client.get(f"/data/{name}?as_of=2026-12-04")

    assert response.status_code == 400
    assert response.text == "as_of must not be after today (2026-12-03)."


def test_today_is_a_good_as_of_for_a_download(client, content):
    response = client.get("/data/scores.csv?as_of=2026-12-03")

    assert response.status_code == 200
    assert len(csv_rows(response)) == 4


# The zip


def zip_of(response):
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_zip_holds_a_readme_and_every_file(client, content):
    archive = zip_of(client.get("/data/tracker-data.zip"))

    assert archive.namelist() == ["README.txt", *FILES]
    assert archive.testzip() is None


def test_zip_readme_gives_columns_licence_and_citation(client, content):
    readme = zip_of(client.get("/data/tracker-data.zip")).read("README.txt")
    text = readme.decode("utf-8")

    assert "CC BY 4.0" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text
    assert "How to cite" in text
    for dataset in exports.DATASETS:
        assert f"{dataset.slug}.csv / {dataset.slug}.json" in text
        for column in dataset.columns:
            assert f"  {column.name}: " in text


def test_zip_files_match_the_single_downloads(client, content):
    archive = zip_of(client.get("/data/tracker-data.zip?layer=critical-minerals"))

    single = body_of(client.get("/data/scores.csv?layer=critical-minerals"))
    assert archive.read("scores.csv").decode("utf-8") == single
    assert "Layer: Critical Minerals" in archive.read("README.txt").decode()


# Nothing unpublished


@pytest.mark.parametrize("name", [*FILES, "tracker-data.zip"])
def test_no_download_carries_drafts_scheduled_items_or_internal_notes(
    client, content, name
):
    response = client.get(f"/data/{name}")
    if name.endswith(".zip"):
        archive = zip_of(response)
        text = "".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    else:
        text = body_of(response)

    for secret in (SECRET_NOTE, DRAFT_TITLE, SCHEDULED_TITLE, "internal_notes"):
        assert secret not in text
    draft_ids = Development.objects.exclude(pk=content["public"].pk).values_list(
        "pk", flat=True
    )
    if name.startswith("score"):
        rows = (
            json.loads(text)["items"]
            if name.endswith(".json")
            else csv.DictReader(io.StringIO(text.removeprefix(exports.BOM)))
        )
        for row in rows:
            linked = row["development_ids"]
            if isinstance(linked, str):
                linked = [int(pk) for pk in linked.split(";") if pk]
            assert not set(linked) & set(draft_ids)


# Streaming


@pytest.mark.parametrize("name", [*FILES, "tracker-data.zip"])
def test_every_download_streams(client, content, name):
    response = client.get(f"/data/{name}")

    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming


def test_a_large_export_streams_in_pieces_and_loses_no_row(client):
    layer = make_layer()
    start = datetime.date(2000, 1, 1)
    Score.objects.bulk_create(
        Score(
            layer=layer,
            side=(Side.US, Side.CHINA)[n % 2],
            value=Decimal(n % 100) / 10,
            as_of=start + datetime.timedelta(days=n // 2),
            rationale=f"Assessment {n}, with a comma.",
        )
        for n in range(5000)
    )

    response = client.get("/data/score-history.csv")
    chunks = [chunk.decode("utf-8") for chunk in response.streaming_content]

    assert len(chunks) >= 5000 // exports.ROWS_PER_WRITE
    assert max(len(chunk) for chunk in chunks) < 20_000
    rows = list(csv.DictReader(io.StringIO("".join(chunks).removeprefix(exports.BOM))))
    assert len(rows) == 5000
    assert len({row["id"] for row in rows}) == 5000
    assert rows[-1]["review_due"]


def test_a_large_json_export_is_one_valid_document(client):
    layer = make_layer()
    Score.objects.bulk_create(
        Score(
            layer=layer,
            side=Side.US,
            value=Decimal("5.0"),
            as_of=datetime.date(2000, 1, 1) + datetime.timedelta(days=n),
            rationale="Same.",
        )
        for n in range(5000)
    )

    response = client.get("/data/score-history.json")
    chunks = list(response.streaming_content)

    assert len(chunks) > 1
    assert len(json.loads(b"".join(chunks))["items"]) == 5000


def test_large_export_reads_rows_in_chunks(client, django_assert_max_num_queries):
    """A fixed number of queries however many rows: no query per row."""
    layer = make_layer()
    Score.objects.bulk_create(
        Score(
            layer=layer,
            side=Side.US,
            value=Decimal("5.0"),
            as_of=datetime.date(2000, 1, 1) + datetime.timedelta(days=n),
            rationale="Same.",
        )
        for n in range(2000)
    )

    with django_assert_max_num_queries(2000 // exports.CHUNK_SIZE * 2 + 4):
        body_of(client.get("/data/score-history.csv"))


def test_layer_parameter_that_is_no_slug_is_not_found(client, content):
    assert client.get("/data/scores.csv?layer=%00").status_code == 404
    assert client.get("/data/scores.csv?layer=a/b").status_code == 404


def test_links_in_the_data_use_the_sites_public_address(client, content, settings):
    settings.SITE_URL = "https://tracker.example.org"

    rows = csv_rows(client.get("/data/layers.csv"))

    assert rows[0]["url"] == "https://tracker.example.org/layer/critical-minerals/"


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(client, content):
    add_development(
        content["minerals"],
        '=HYPERLINK("https://example.com","Open")',
        category="@SUM(A1)",
        days_ago=1,
    )

    rows = csv_rows(client.get("/data/developments.csv"))
    row = next(row for row in rows if "HYPERLINK" in row["title"])

    assert row["title"] == '\'=HYPERLINK("https://example.com","Open")'
    assert row["category"] == "'@SUM(A1)"
    # Plain numbers and ordinary text are left as they are.
    scores = csv_rows(client.get("/data/scores.csv"))
    assert {row["score"] for row in scores} >= {"4.0", "8.0"}


def test_spreadsheet_safe_leaves_numbers_alone():
    assert exports.spreadsheet_safe("-3.5") == "-3.5"
    assert exports.spreadsheet_safe("+12") == "+12"
    assert exports.spreadsheet_safe("-cmd") == "'-cmd"
    assert exports.spreadsheet_safe("Taiwan") == "Taiwan"
    assert exports.spreadsheet_safe(7) == 7
