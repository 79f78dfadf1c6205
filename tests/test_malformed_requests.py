"""No path, query parameter, header or form value makes the site answer 500.

Each case is one request a careless or hostile client might send; the site
must answer it with a page of its own (2xx, 3xx or 4xx), never an error.
"""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LONG = "a" * 5000
HUGE_NUMBER = "9" * 40

# Values tried in every parameter the site reads.
NASTY_VALUES = [
    "",
    " ",
    LONG,
    "%00",
    "\x00",
    "abc\x00def",
    "%ff%fe",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "' OR 1=1 --",
    '"; DROP TABLE layers_layer; --',
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7}",
    "<script>alert(1)</script>",
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    HUGE_NUMBER,
    "[]",
    "{}",
    "true",
    "2026-02-30",
    "2026-13-01",
    "99999-01-01",
    "0000-00-00",
    "😀",
    "中国",
]

# (path, the query parameters it reads)
ENDPOINTS = [
    ("/", ["as_of"]),
    ("/layer/critical-minerals/", ["as_of"]),
    ("/layer/critical-minerals/comparison/", ["as_of"]),
    ("/layer/ai-accelerators/effective-compute/", ["step", "as_of"]),
    ("/weigh/", ["w-talent", "w-critical-minerals", "as_of"]),
    ("/weakest-link/", ["as_of"]),
    ("/changes/", ["page", "layer"]),
    ("/news/", ["page", "layer", "category", "as_of"]),
    ("/search/", ["q", "page"]),
    ("/feeds/developments.rss", ["page"]),
    ("/data/scores.csv", ["layer", "as_of"]),
    ("/data/developments.json", ["layer", "as_of"]),
    ("/embed/layer/critical-minerals/", ["as_of"]),
    ("/api/v1/scores", ["layer", "side", "from", "to", "as_of"]),
    ("/api/v1/developments", ["layer", "category", "page", "as_of"]),
    ("/sitemap.xml", ["p"]),
]

PATHS = [
    "/layer/no-such-layer/",
    "/layer/" + LONG + "/",
    "/layer/%00/",
    "/layer/%ff%fe/",
    "/layer/..%2f..%2fetc%2fpasswd/",
    "/layer/critical-minerals/%2e%2e/%2e%2e/",
    "/news/no-such-layer/no-such-item/",
    "/news/critical-minerals/" + LONG + "/",
    "/news/critical-minerals/%e4%b8%ad/",
    "/news/critical-minerals/%ff/",
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/css/site.css%00.js",
    "/feeds/layer/no-such-layer.rss",
    "/embed/layer/no-such-layer/",
    "/data/no-such-dataset.csv",
    "/data/scores.xml",
    "/api/v1/layers/no-such-layer",
    "/api/v1/layers/%00",
    "/api/v1/nothing-here",
    "/charts/no-such-chart/",
    "/charts/no-such-chart.csv",
    "/layer/fabrication/no-such-page/",
    "/layer/no-such-layer/social.png",
    "/{{7*7}}/",
    "/%3Cscript%3E/",
    "/admin/../../etc/passwd",
    "//evil.example/",
    "/index.php?id=1'",
    "/.env",
    "/.git/config",
    "/wp-login.php",
    # Query strings as sent on the wire: bytes that are not UTF-8, a NUL.
    "/search/?q=%ff%fe%fd",
    "/search/?q=%00",
    "/news/?page=%ff",
    "/?as_of=%ff%ff",
    "/weigh/?w-talent=%c0%af",
    "/api/v1/scores?side=%ff",
    "/search/?q=chips&q=power",
    "/news/?layer=critical-minerals&layer=power-infrastructure",
    "/search/?=&&&==",
]

HEADERS = [
    {"HX-Request": "true"},
    {"HX-Request": "garbage"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    {"HX-Request": "true", "HX-Current-URL": LONG},
    {"HX-Request": "true", "HX-Target": "<script>"},
    {"If-None-Match": "garbage"},
    {"If-None-Match": '"' + LONG + '"'},
    {"If-Modified-Since": "not a date"},
    {"If-Modified-Since": "Mon, 32 Foo 99999 99:99:99 GMT"},
    {"Accept-Language": "xx-" + LONG},
    {"Accept-Language": "*;q=abc"},
    {"Accept": "\x00"},
    {"Accept-Encoding": "gzip;q=banana"},
    {"Cookie": "sessionid=garbage; csrftoken=" + LONG},
    {"Cookie": "\x00=\x00"},
    {"X-Forwarded-For": "not an address"},
    {"X-Forwarded-Proto": "gopher"},
    {"Range": "bytes=9999999-1"},
    {"User-Agent": LONG},
    {"Referer": "javascript:alert(1)"},
]

HEADER_PATHS = ("/", "/layer/critical-minerals/comparison/", "/static/css/site.css")

# (path, form data) posted without a valid CSRF token or with junk in fields.
POSTS = [
    ("/admin/login/", {"username": LONG, "password": LONG}),
    ("/admin/login/", {"username": "\x00", "password": "\x00"}),
    ("/admin/login/", {"username": ["a", "b"], "password": "x"}),
    ("/", {"anything": "x"}),
    ("/search/", {"q": "chips"}),
    ("/layer/critical-minerals/", {"x": "y"}),
    ("/api/v1/layers", {"x": "y"}),
]


def cases():
    # Each nasty value goes into every parameter of a page at once.
    for path, params in ENDPOINTS:
        for number, value in enumerate(NASTY_VALUES):
            query = dict.fromkeys(params, value)
            yield (f"{path} value {number}", "GET", path, query, {})
        many = path + "?" + "&".join(["x=1"] * 2000)
        yield (f"{path} 2000 parameters", "GET", many, {}, {})
    for path in PATHS:
        yield (path[:60], "GET", path, {}, {})
    for number, headers in enumerate(HEADERS):
        for path in HEADER_PATHS:
            yield (f"{path} headers {number}", "GET", path, {}, headers)
    for number, (path, data) in enumerate(POSTS):
        yield (f"POST {path} {number}", "POST", path, data, {})


CASES = list(cases())


def test_the_list_is_long_enough_to_mean_something():
    assert len(CASES) >= 100


def test_no_malformed_request_gets_a_server_error(stack):
    # Answers a crash with the 500 page instead of raising it in the test.
    client = Client(raise_request_exception=False)
    errors = []
    # One test for every case: the content is imported once, not per case.
    for name, method, path, data, headers in CASES:
        send = client.post if method == "POST" else client.get
        response = send(path, data, headers=headers)
        if response.status_code >= 500:
            errors.append((name, response.status_code))

    assert errors == []
