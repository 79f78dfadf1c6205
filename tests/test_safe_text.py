"""Safe text: nothing typed into the admin runs as script for anyone.

Every Markdown field (layer summaries, sections, score rationales,
development bodies and page bodies) is rendered and then sanitized by
layers.markdown.render. Each payload below is saved through the admin's own
forms, then the public pages and the admin pages that show the text are
parsed: no script, no event handler, no link or source with a scheme other
than http, https or mailto.
"""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.template import engines
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from layers.markdown import render, to_text
from layers.models import Page, Score, Section, Side
from news.models import Development
from tests import factories
from tests.adminforms import change_form_data

pytestmark = pytest.mark.django_db

B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>
B64_SVG = "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"  # <svg onload=alert(1)>

PAYLOADS = [
    # Script elements, plain and disguised
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    # Event handlers
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<a href="#" onclick="alert(1)">x</a>',
    '<a href="https://ok.example/" onmouseover="alert(1)">ok</a>',
    '<a href="mailto:x@example.org" onclick=alert(1)>mail</a>',
    '<abbr title="x" onclick="alert(1)">x</abbr>',
    "<td onmouseover=alert(1)>x</td>",
    '\'" onmouseover="alert(1)" x=\'',
    '" onfocus="alert(1)" autofocus x="',
    # javascript: and friends in HTML links
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;'
    ':alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    '&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    f'<a href="data:text/html;base64,{B64_SCRIPT}">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<IMG SRC="javascript:alert(1);">',
    '<svg><a xlink:href="javascript:alert(1)"><text x="9" y="9">x</text></a></svg>',
    '<math href="javascript:alert(1)">x</math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # Markdown links, images and references
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '[x](javascript:alert(1) "title")',
    f"[x](data:text/html;base64,{B64_SCRIPT})",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    f"![x](data:image/svg+xml;base64,{B64_SVG})",
    '![x" onerror="alert(1)](https://ok.example/x.png)',
    "<javascript:alert(1)>",
    # Frames, objects and documents in documents
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    # Styles
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width: expression(alert(1))">x</div>',
    '<style>@import "javascript:alert(1)";</style>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    # Parser confusion
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[<script>alert(1)</script>]]>",
    "<template><script>alert(1)</script></template>",
]

URL_ATTRIBUTES = {
    "action",
    "background",
    "cite",
    "code",
    "codebase",
    "data",
    "dynsrc",
    "formaction",
    "href",
    "lowsrc",
    "ping",
    "poster",
    "src",
    "xlink:href",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
# Elements readers' text may never add; the page's own are counted first.
ACTIVE_ELEMENTS = {
    "applet",
    "base",
    "button",
    "embed",
    "form",
    "frame",
    "iframe",
    "img",
    "input",
    "link",
    "math",
    "meta",
    "noscript",
    "object",
    "script",
    "source",
    "style",
    "svg",
    "template",
    "video",
}


class Audit(HTMLParser):
    """Collect the active elements of a page and any unsafe attributes."""

    def __init__(self, html):
        super().__init__()
        self.elements = Counter()
        self.problems = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_ELEMENTS:
            self.elements[tag] += 1
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            elif name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            elif name in URL_ATTRIBUTES and not is_safe_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and re.search(
                r"expression|javascript|url\s*\(", value, re.IGNORECASE
            ):
                self.problems.append(f"<{tag} style={value!r}>")

    handle_startendtag = handle_starttag


def is_safe_url(value):
    """True for a relative URL or one with an http, https or mailto scheme."""
    # Browsers trim control characters and spaces from both ends and drop
    # tabs and newlines anywhere (WHATWG URL parsing).
    squeezed = re.sub(r"[\t\n\r]", "", value.strip(C0_AND_SPACE))
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", squeezed)
    return scheme is None or scheme.group(1).lower() in SAFE_SCHEMES


def unsafe_markup(html, baseline=None):
    """Describe what in ``html`` could run, beyond what ``baseline`` has."""
    audit = Audit(html)
    allowed = Audit(baseline).elements if baseline is not None else Counter()
    added = audit.elements - allowed
    return audit.problems + [f"{count} more <{tag}>" for tag, count in added.items()]


def marked(number, payload):
    return f"Probe{number} {payload}"


# The sanitizer itself


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_leaves_nothing_that_runs(payload):
    assert unsafe_markup(render(payload)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plain_text_cannot_break_out_of_an_attribute(payload):
    template = engines["django"].from_string(
        '{% load tracker %}<meta name="description" content="{{ text|markdown_text }}">'
    )

    html = template.render({"text": payload})

    assert unsafe_markup(html, baseline='<meta name="description" content="">') == []


def test_render_keeps_safe_links_and_formatting():
    html = render(
        "**Bold**, [site](https://example.org/a?b=1), [mail](mailto:a@example.org)"
        " and [page](/layer/chips/)."
    )

    assert "<strong>Bold</strong>" in html
    assert 'href="https://example.org/a?b=1"' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'href="/layer/chips/"' in html


def test_to_text_gives_plain_text():
    assert to_text("**Chips** & <b>fabs</b>") == "Chips & fabs"


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 30


# Through the admin, onto the pages


@pytest.fixture
def content():
    layer = factories.make_layer("Chips")
    factories.add_section(layer, "Fabs", body="Benign.")
    factories.add_score(layer, Side.US, 6, rationale="Benign.")
    factories.add_score(layer, Side.CHINA, 4, rationale="Benign.")
    factories.add_development(layer, "Fab opens", body="Benign.")
    factories.make_state_of_the_stack(body="Benign.")
    return layer


def admin_change(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


FIELDS = {
    # field: (its object, its name in the admin form, the pages that show it
    # checked after each payload, more pages checked once with them all)
    "layer summary": (lambda layer: layer, "summary", ["layer"], []),
    "section body": (
        lambda layer: Section.objects.get(),
        "body",
        ["layer"],
        ["self admin"],
    ),
    "score rationale": (
        lambda layer: Score.objects.get(side=Side.US),
        "rationale",
        ["layer"],
        [reverse_lazy("layers:changes"), "layer admin"],
    ),
    "development body": (
        lambda layer: Development.objects.get(),
        "body",
        ["layer"],
        ["self", "self admin"],
    ),
    "state of the stack": (
        lambda layer: Page.objects.get(slug=Page.STATE_OF_THE_STACK),
        "body",
        [reverse_lazy("layers:home")],
        ["self admin"],
    ),
    "methodology": (
        lambda layer: Page.objects.get(slug=Page.METHODOLOGY),
        "body",
        [reverse_lazy("methodology")],
        ["self admin"],
    ),
}


def locate(layer, field):
    """The object holding ``field``, and the pages where its text shows."""
    find, name, each, once = FIELDS[field]
    obj = find(layer)
    urls = {"layer": layer.get_absolute_url(), "layer admin": admin_change(layer)}
    urls["self admin"] = admin_change(obj)
    if field == "development body":
        urls["self"] = obj.get_absolute_url()
    return (
        obj,
        name,
        [str(urls.get(page, page)) for page in each],
        [str(urls.get(page, page)) for page in once],
    )


class AdminForm:
    """An admin change form, opened once and saved again and again."""

    def __init__(self, client, obj, name):
        self.client, self.obj, self.name = client, obj, name
        self.url = admin_change(obj)
        self.data = change_form_data(client.get(self.url))

    def save(self, text):
        self.obj.refresh_from_db(fields=["version"])
        self.data["loaded_version"] = [str(self.obj.version)]
        self.data[self.name] = [text]
        response = self.client.post(self.url, self.data)
        assert response.status_code == 302, f"not saved: {text!r}"


@pytest.mark.parametrize("field", FIELDS)
def test_payloads_saved_in_the_admin_run_nowhere_on_the_site(
    admin_client, content, field
):
    obj, name, pages, _ = locate(content, field)
    form = AdminForm(admin_client, obj, name)
    baselines = {url: admin_client.get(url).text for url in pages}
    failures = []

    for number, payload in enumerate(PAYLOADS):
        form.save(marked(number, payload))
        for url in pages:
            response = admin_client.get(url)
            assert f"Probe{number}" in response.text, (url, payload)
            problems = unsafe_markup(response.text, baselines[url])
            if problems:
                failures.append((payload, url, problems))

    assert failures == []


@pytest.mark.parametrize("field", [field for field, spec in FIELDS.items() if spec[3]])
def test_all_payloads_at_once_run_nowhere_else(admin_client, content, field):
    """The other pages showing the text, the admin's previews among them."""
    obj, name, _, pages = locate(content, field)
    baselines = {url: admin_client.get(url).text for url in pages}

    AdminForm(admin_client, obj, name).save(
        "\n\n".join(marked(n, p) for n, p in enumerate(PAYLOADS))
    )

    for url in pages:
        response = admin_client.get(url)
        assert "Probe0" in response.text
        assert unsafe_markup(response.text, baselines[url]) == []


def test_payloads_in_new_developments_and_scores_run_nowhere(admin_client, content):
    """The add forms too: every payload at once, one after another."""
    text = "\n\n".join(marked(n, p) for n, p in enumerate(PAYLOADS))
    add_development = reverse("admin:news_development_add")
    development = change_form_data(admin_client.get(add_development)) | {
        "layer": [str(content.pk)],
        "title": ["Payloads"],
        "slug": ["payloads"],
        "category": ["Test"],
        "body": [text],
        "published_at_0": ["2020-01-01"],
        "published_at_1": ["09:00"],
    }
    add_score = reverse("admin:layers_score_add")
    score = change_form_data(admin_client.get(add_score)) | {
        "layer": [str(content.pk)],
        "side": [Side.CHINA],
        "value": ["5.0"],
        # Today: newer than the content's scores, so it shows as current.
        "as_of": [timezone.localdate().isoformat()],
        "rationale": [text],
        "source": ["Test"],
    }

    assert admin_client.post(add_development, development).status_code == 302
    assert admin_client.post(add_score, score).status_code == 302

    response = admin_client.get(content.get_absolute_url())
    # The same page with harmless text in the new items shows what is the
    # page's own.
    Development.objects.filter(slug="payloads").update(body="Harmless.")
    Score.objects.filter(as_of=timezone.localdate()).update(rationale="Harmless.")
    baseline = admin_client.get(content.get_absolute_url()).text
    assert "Probe0 " in response.text
    assert unsafe_markup(response.text, baseline) == []
