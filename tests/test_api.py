"""The read-only JSON API at /api/v1/: its answers, filters, errors and schema."""

import datetime
import json

import hypothesis
import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.specs.openapi.checks import positive_data_acceptance

from layers.api import MAX_LIMIT, api
from layers.models import ScoreConfidence, Side
from news.models import Development
from tests.factories import (
    add_development,
    add_metric,
    add_score,
    add_section,
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
# Examples per operation and mode; schemathesis runs all checks on each.
SCHEMATHESIS_EXAMPLES = 30
PATHS = (
    "/api/v1/layers",
    "/api/v1/layers/{slug}",
    "/api/v1/scores",
    "/api/v1/developments",
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def content():
    minerals = make_layer("Critical Minerals", position=1, internal_notes=SECRET_NOTE)
    power = make_layer("Power Infrastructure", position=2)
    minerals.related.add(power)
    add_score(minerals, Side.US, "2.5", as_of=FIRST, source="USGS 2024")
    add_score(minerals, Side.CHINA, "8.5", as_of=FIRST)
    us = add_score(
        minerals,
        Side.US,
        "4.0",
        as_of=LATEST,
        rationale="New refineries.",
        source="USGS 2026",
        confidence=ScoreConfidence.HIGH,
        review_due=datetime.date(2027, 1, 15),
    )
    add_score(minerals, Side.CHINA, "8.0", as_of=LATEST)
    add_score(power, Side.US, "6.0", as_of=LATEST)
    add_score(power, Side.CHINA, "6.0", as_of=LATEST)
    metric = add_metric(minerals, "Refining share", formula="refined / mined")
    add_value(metric, Side.US, 10, 12, unit="%", year=2025, source="IEA")
    add_section(minerals, "Why refining matters", body="Because.")
    public = add_development(
        minerals,
        "Texas refinery opens",
        category="Supply Chain",
        now=NOW,
        days_ago=2,
        source="Reuters",
        source_url="https://www.reuters.com/markets/texas-refinery/",
    )
    older = add_development(power, "Grid plan", category="Policy", now=NOW, days_ago=40)
    draft = add_development(
        minerals, DRAFT_TITLE, status=Development.Status.DRAFT, now=NOW
    )
    scheduled = add_development(minerals, SCHEDULED_TITLE, now=NOW, days_ago=-3)
    us.developments.add(public, draft, scheduled)
    return {"us": us, "public": public, "older": older}


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    return response.json()


# Layers


def test_layers_lists_every_layer_with_its_current_scores(client, content):
    data = get(client, "/api/v1/layers")

    assert [
        (layer["slug"], layer["us_score"], layer["china_score"], layer["leader"])
        for layer in data
    ] == [
        ("critical-minerals", 4.0, 8.0, "China"),
        ("power-infrastructure", 6.0, 6.0, "Even"),
    ]
    assert data[0]["url"] == "http://testserver/layer/critical-minerals/"
    assert data[0]["us_as_of"] == "2026-12-02"


def test_layers_as_of_gives_the_scores_of_that_day(client, content):
    data = get(client, "/api/v1/layers?as_of=2026-01-01")

    assert [(layer["us_score"], layer["china_score"]) for layer in data] == [
        (2.5, 8.5),
        (None, None),
    ]
    assert data[1]["leader"] is None


def test_layer_has_scores_with_reasons_metrics_and_sections(client, content):
    data = get(client, "/api/v1/layers/critical-minerals")

    us, china = data["current_scores"]
    assert (us["side"], us["score"], us["previous_score"]) == ("us", 4.0, 2.5)
    assert (us["rationale"], us["source"]) == ("New refineries.", "USGS 2026")
    assert (us["confidence"], us["review_due"]) == ("high", "2027-01-15")
    assert (china["confidence"], china["review_due"]) == ("medium", "2027-03-02")
    assert [d["title"] for d in us["developments"]] == ["Texas refinery opens"]
    assert data["related"] == ["power-infrastructure"]
    assert data["metrics"] == [
        {
            "name": "Refining share",
            "key": "",
            "formula": "refined / mined",
            "values": [
                {
                    "side": "us",
                    "low": 10.0,
                    "high": 12.0,
                    "text": "",
                    "unit": "%",
                    "year": 2025,
                    "confidence": "solid",
                    "source": "IEA",
                    "note": "",
                }
            ],
        }
    ]
    assert data["sections"] == [
        {"heading": "Why refining matters", "body": "Because.", "is_branch": False}
    ]


def test_layer_as_of_gives_the_scores_current_then(client, content):
    data = get(client, "/api/v1/layers/critical-minerals?as_of=2026-06-30")

    assert [(s["side"], s["score"]) for s in data["current_scores"]] == [
        ("us", 2.5),
        ("china", 8.5),
    ]
    assert data["us_score"] == 2.5


def test_unknown_layer_is_a_404_in_json(client, content):
    data = get(client, "/api/v1/layers/moon-mining", status=404)

    assert data["detail"] == "There is no layer with the slug 'moon-mining'."


# Scores


def test_scores_lists_every_assessment_newest_first_with_a_total(client, content):
    data = get(client, "/api/v1/scores")

    assert data["count"] == 6
    assert (data["limit"], data["offset"]) == (50, 0)
    assert [item["as_of"] for item in data["items"]] == ["2026-12-02"] * 4 + [
        "2025-03-01"
    ] * 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("layer=power-infrastructure", [("power-infrastructure", "china", 6.0),
                                        ("power-infrastructure", "us", 6.0)]),
        ("layer=critical-minerals&side=us", [("critical-minerals", "us", 4.0),
                                             ("critical-minerals", "us", 2.5)]),
        ("side=china&to=2026-01-01", [("critical-minerals", "china", 8.5)]),
        ("from=2026-01-01&side=us&layer=critical-minerals",
         [("critical-minerals", "us", 4.0)]),
        ("as_of=2025-12-31", [("critical-minerals", "china", 8.5),
                              ("critical-minerals", "us", 2.5)]),
        ("from=2027-01-01", []),
    ],
)  # fmt: skip
def test_scores_filters(client, content, query, expected):
    data = get(client, f"/api/v1/scores?{query}")

    assert [(s["layer"], s["side"], s["score"]) for s in data["items"]] == expected
    assert data["count"] == len(expected)


def test_scores_previous_score_ignores_the_date_filter(client, content):
    data = get(client, "/api/v1/scores?from=2026-01-01&layer=critical-minerals")

    assert {s["side"]: s["previous_score"] for s in data["items"]} == {
        "us": 2.5,
        "china": 8.5,
    }


def test_scores_come_a_page_at_a_time(client, content):
    first = get(client, "/api/v1/scores?limit=4")
    rest = get(client, "/api/v1/scores?limit=4&offset=4")

    assert (first["count"], len(first["items"])) == (6, 4)
    assert (rest["count"], rest["offset"], len(rest["items"])) == (6, 4, 2)
    ids = [s["id"] for s in first["items"] + rest["items"]]
    assert len(set(ids)) == 6


def test_scores_of_an_unknown_layer_is_a_404(client, content):
    get(client, "/api/v1/scores?layer=moon-mining", status=404)


# Developments


def test_developments_lists_only_published_ones_newest_first(client, content):
    data = get(client, "/api/v1/developments")

    assert data["count"] == 2
    assert [d["title"] for d in data["items"]] == ["Texas refinery opens", "Grid plan"]
    item = data["items"][0]
    assert item["url"] == (
        "http://testserver/news/critical-minerals/texas-refinery-opens/"
    )
    assert item["score_ids"] == [content["us"].pk]
    assert item["published_at"].startswith("2026-12-01T15:00:00")


def test_developments_name_their_source_or_leave_it_empty(client, content):
    items = get(client, "/api/v1/developments")["items"]

    sources = [(item["source"], item["source_url"]) for item in items]
    assert sources == [
        ("Reuters", "https://www.reuters.com/markets/texas-refinery/"),
        ("", ""),
    ]


def test_openapi_schema_documents_the_source_of_a_development(client):
    schemas = get(client, "/api/v1/openapi.json")["components"]["schemas"]
    fields = schemas["DevelopmentOut"]["properties"]

    assert "Reuters" in fields["source"]["description"]
    assert "http or https" in fields["source_url"]["description"]
    assert {"source", "source_url"} <= set(schemas["DevelopmentOut"]["required"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("layer=power-infrastructure", ["Grid plan"]),
        ("category=supply%20chain", ["Texas refinery opens"]),
        ("category=Policy&layer=critical-minerals", []),
        ("from=2026-11-30", ["Texas refinery opens"]),
        ("to=2026-11-30", ["Grid plan"]),
        ("from=2026-10-01&to=2026-11-30", ["Grid plan"]),
        ("as_of=2026-11-30", ["Grid plan"]),
        ("limit=1&offset=1", ["Grid plan"]),
    ],
)
def test_developments_filters(client, content, query, expected):
    data = get(client, f"/api/v1/developments?{query}")

    assert [d["title"] for d in data["items"]] == expected


def test_developments_count_is_the_total_not_the_page(client, content):
    data = get(client, "/api/v1/developments?limit=1")

    assert (data["count"], len(data["items"])) == (2, 1)


# Bad parameters


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/layers?as_of=yesterday", "as_of"),
        ("/api/v1/layers/critical-minerals?as_of=2026-02-30", "as_of"),
        ("/api/v1/scores?from=2026-13-01", "from"),
        ("/api/v1/scores?to=soon", "to"),
        ("/api/v1/scores?side=both", "side"),
        ("/api/v1/scores?limit=-1", "limit"),
        ("/api/v1/scores?limit=0", "limit"),
        (f"/api/v1/scores?limit={MAX_LIMIT + 1}", "limit"),
        ("/api/v1/scores?limit=99999999999999999999999", "limit"),
        ("/api/v1/scores?limit=ten", "limit"),
        ("/api/v1/developments?offset=-5", "offset"),
        ("/api/v1/developments?offset=1.5", "offset"),
        ("/api/v1/developments?offset=page2", "offset"),
        ("/api/v1/developments?layer=no%20such%20layer!", "layer"),
        ("/api/v1/developments?category=a%00b", "category"),
        ("/api/v1/layers/bad%20slug!", "slug"),
    ],
)
def test_bad_parameters_get_a_400_naming_the_parameter(client, content, url, parameter):
    data = get(client, url, status=400)

    assert data["detail"].startswith("Bad parameter.")
    assert parameter in data["detail"]
    assert [error["parameter"] for error in data["errors"]] == [parameter]


def test_a_date_that_cannot_be_read_is_explained_in_plain_words(client, content):
    data = get(client, "/api/v1/scores?as_of=yesterday", status=400)

    assert data["detail"] == (
        "Bad parameter. as_of: Write the date as YYYY-MM-DD, e.g. 2026-12-02."
    )


@pytest.mark.parametrize("endpoint", ["scores", "developments"])
def test_from_after_to_is_a_400_that_says_so(client, content, endpoint):
    data = get(client, f"/api/v1/{endpoint}?from=2026-05-01&to=2026-01-01", 400)

    assert data["detail"] == (
        "Bad parameter. from: from (2026-05-01) must not be after to "
        "(2026-01-01); swap them for that range."
    )
    assert [error["parameter"] for error in data["errors"]] == ["from"]


@pytest.mark.parametrize("endpoint", ["scores", "developments"])
def test_from_and_to_may_be_the_same_day(client, content, endpoint):
    get(client, f"/api/v1/{endpoint}?from=2026-12-02&to=2026-12-02")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/layers?as_of=2026-12-04",
        "/api/v1/layers/critical-minerals?as_of=2027-01-01",
        "/api/v1/scores?as_of=2026-12-04",
        "/api/v1/developments?as_of=9999-12-31",
    ],
)
def test_a_future_as_of_is_a_400_that_says_so(client, content, url):
    data = get(client, url, status=400)

    assert data["detail"] == (
        "Bad parameter. as_of: as_of must not be after today (2026-12-03): the "
        "tracker cannot show a day that has not come yet."
    )
    assert [error["parameter"] for error in data["errors"]] == ["as_of"]


def test_today_is_a_good_as_of(client, content):
    data = get(client, "/api/v1/layers?as_of=2026-12-03")

    assert data[0]["us_score"] == 4.0


# A day before the first score


def test_layers_before_the_first_score_say_so(client, content):
    data = get(client, "/api/v1/layers?as_of=2025-01-01")

    assert [(layer["us_score"], layer["note"]) for layer in data] == [
        (
            None,
            "No score existed yet on 2025-01-01: the first for this layer is "
            "dated 2025-03-01.",
        ),
        (
            None,
            "No score existed yet on 2025-01-01: the first for this layer is "
            "dated 2026-12-02.",
        ),
    ]


def test_a_side_scored_later_than_the_other_is_named(client, content):
    space = make_layer("Space", position=3)
    add_score(space, Side.US, "5.0", as_of=FIRST)
    add_score(space, Side.CHINA, "6.0", as_of=LATEST)

    data = get(client, "/api/v1/layers/space?as_of=2026-01-01")

    assert (data["us_score"], data["china_score"]) == (5.0, None)
    assert data["note"] == (
        "No China score existed yet on 2026-01-01: its first is dated 2026-12-02."
    )


def test_a_side_never_scored_is_named(client, content):
    make_layer("Space", position=3)

    data = get(client, "/api/v1/layers")

    assert data[-1]["note"] == (
        "US & Allies has not been scored yet. China has not been scored yet."
    )
    assert data[0]["note"] is None


def test_score_history_before_the_first_score_says_so(client, content):
    data = get(client, "/api/v1/scores?as_of=2025-01-01")

    assert (data["count"], data["items"]) == (0, [])
    assert data["note"] == (
        "No score existed yet on 2025-01-01: the first is dated 2025-03-01."
    )


def test_score_history_note_looks_at_the_layer_asked_for(client, content):
    data = get(client, "/api/v1/scores?layer=power-infrastructure&as_of=2026-06-30")

    assert data["count"] == 0
    assert data["note"] == (
        "No score existed yet on 2026-06-30: the first is dated 2026-12-02."
    )


def test_score_history_with_scores_has_no_note(client, content):
    assert get(client, "/api/v1/scores?as_of=2026-06-30")["note"] is None
    # Empty for another reason: no note about the first score.
    assert get(client, "/api/v1/scores?from=2027-01-01")["note"] is None


# Finding the way


def test_the_api_root_lists_the_endpoints(client, content):
    data = get(client, "/api/v1/")

    assert (data["name"], data["version"]) == ("The AI Stack Tracker API", "1")
    assert data["licence"] == "CC BY 4.0"
    assert data["links"] == {
        "layers": "http://testserver/api/v1/layers",
        "layer": "http://testserver/api/v1/layers/{slug}",
        "scores": "http://testserver/api/v1/scores",
        "developments": "http://testserver/api/v1/developments",
        "openapi": "http://testserver/api/v1/openapi.json",
        "docs": "http://testserver/api/v1/docs",
        "data": "http://testserver/data/",
    }


def test_every_link_from_the_api_root_answers(client, content):
    links = get(client, "/api/v1/")["links"]

    for name, url in links.items():
        url = url.replace("{slug}", "critical-minerals")
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, name


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing-here", "/api/v1/layers/", "/api/v2/", "/api/v1/a/b/c"]
)
def test_an_unknown_address_under_the_api_is_a_404_in_json(client, url):
    response = client.get(url)

    if url.startswith("/api/v2/"):
        # Not under /api/v1/: the site's own page.
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
        return
    data = get(client, url, status=404)
    assert data["detail"] == (
        f"There is no endpoint at {url}. The endpoints are listed at /api/v1/, "
        "and documented at /api/v1/docs."
    )
    assert response["Access-Control-Allow-Origin"] == "*"


# Nothing unpublished


PUBLIC_URLS = [
    "/api/v1/layers",
    "/api/v1/layers/critical-minerals",
    "/api/v1/scores",
    "/api/v1/scores?layer=critical-minerals",
    "/api/v1/developments",
    "/api/v1/developments?layer=critical-minerals",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_no_answer_carries_drafts_scheduled_items_or_internal_notes(
    client, content, url
):
    text = client.get(url).text

    for secret in (SECRET_NOTE, DRAFT_TITLE, SCHEDULED_TITLE, "internal_notes"):
        assert secret not in text
    hidden = set(
        Development.objects.exclude(
            pk__in=[content["public"].pk, content["older"].pk]
        ).values_list("pk", flat=True)
    )
    assert not _development_ids(json.loads(text)) & hidden


def _development_ids(data):
    """Every development id anywhere in an answer."""
    found = set()
    if isinstance(data, dict):
        if "title" in data and "url" in data and "/news/" in data["url"]:
            found.add(data["id"])
        for value in data.values():
            found |= _development_ids(value)
    elif isinstance(data, list):
        for value in data:
            found |= _development_ids(value)
    return found


# The schema and the documentation


def test_openapi_schema_is_json_with_every_path(client):
    schema = get(client, "/api/v1/openapi.json")

    assert schema["openapi"].startswith("3.")
    assert set(PATHS) <= set(schema["paths"])
    for path in PATHS:
        responses = schema["paths"][path]["get"]["responses"]
        assert {"200", "400"} <= set(responses)
    assert "internal_notes" not in json.dumps(schema)
    assert "/api/v1/" in schema["paths"]


def test_openapi_schema_says_when_each_error_is_sent(client):
    paths = get(client, "/api/v1/openapi.json")["paths"]

    scores = paths["/api/v1/scores"]["get"]["responses"]
    assert scores["400"]["description"] == (
        "A parameter cannot be read, from is after to, or as_of is after today; "
        "detail says which."
    )
    assert scores["404"]["description"] == "No layer has this slug."
    layers = paths["/api/v1/layers"]["get"]["responses"]
    assert layers["400"]["description"] == "as_of cannot be read or is after today."
    assert "$ref" in json.dumps(scores["400"]["content"])


def test_openapi_schema_has_the_notes(client):
    schemas = get(client, "/api/v1/openapi.json")["components"]["schemas"]

    assert "note" in schemas["LayerOut"]["properties"]
    assert "note" in schemas["ScorePage"]["properties"]


def test_docs_page_loads_swagger_from_this_site(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.text
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy


def test_answers_may_be_read_by_any_site(client, content):
    response = client.get("/api/v1/layers")

    assert response["Access-Control-Allow-Origin"] == "*"


# The API against its own schema, with schemathesis


@pytest.fixture
def wsgi_requests():
    """Let the WSGI app's requests use the test's connection and transaction.

    Django's test client keeps the request signals from closing it; a request
    through the WSGI app needs the same.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _own_schema():
    """The API's schema, its requests sent to the WSGI app in this process."""
    # Not schemathesis.pytest.from_fixture(): it sets Function._nodeid, which
    # pytest 9 no longer has.
    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = get_wsgi_application()
    return loaded


schema = _own_schema()


@schema.parametrize()
@hypothesis.settings(
    max_examples=SCHEMATHESIS_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_own_schema(case, content, wsgi_requests):
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_data_is_refused_only_by_unwritable_rules],
    )


def valid_data_is_refused_only_by_unwritable_rules(ctx, response, case):
    """Like schemathesis's positive_data_acceptance, except that a 400 is right
    for the two rules an OpenAPI schema cannot state: ``from`` after ``to``,
    and ``as_of`` after today."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if response.status_code < 400 or response.status_code in ACCEPTED_REFUSALS:
        return
    query = case.query or {}
    dates = {name: _day(query.get(name)) for name in ("from", "to", "as_of")}
    reversed_range = dates["from"] and dates["to"] and dates["from"] > dates["to"]
    future = dates["as_of"] and dates["as_of"] > NOW.date()
    assert response.status_code == 400 and (reversed_range or future), (
        f"valid data refused with {response.status_code}: {response.text[:300]}"
    )


# What positive_data_acceptance accepts besides success (schemathesis 4).
ACCEPTED_REFUSALS = {401, 403, 404, 409, 429}


def _day(text):
    try:
        return datetime.date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None
