"""The reader widgets: the comparison on the stack, effective compute, the
weakest link and weighing the stack. Each is a page of its own and, to an
htmx request, a fragment of the page it is revealed on."""

import datetime
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers import compute
from layers.importer import import_figures, parse_figures
from layers.models import Layer, MetricValue, Side
from tests.adminforms import change_form_data, field_names
from tests.factories import (
    add_metric,
    add_scores,
    add_value,
    make_layer,
)

pytestmark = pytest.mark.django_db

FIGURES = Path(__file__).resolve().parent.parent / "content" / "figures.md"
HTMX = {"HTTP_HX_REQUEST": "true"}
HISTORY_RESTORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
# Fragments: the layer with its scores.
COMPARISON_QUERIES = 1
# The whole stack with its scores.
WEAKEST_QUERIES = 1
WEIGH_QUERIES = 1
# The layer, its keyed metrics, their values.
EFFECTIVE_COMPUTE_QUERIES = 3
ACCELERATORS = "/layer/ai-accelerators/"
MODULE = "/layer/ai-accelerators/effective-compute/"


@pytest.fixture
def figures(stack):
    """The content document and its sourced figures, as imported."""
    return import_figures(parse_figures(FIGURES.read_text(encoding="utf-8")))


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return response


def html(client, url, **headers):
    return get(client, url, **headers).content.decode()


def is_full_page(text):
    return text.lstrip().startswith("<!doctype html>") and "</footer>" in text


def text_of(fragment):
    """The words of an HTML fragment, tags dropped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def three_layers():
    minerals = make_layer("Critical Minerals", position=1)
    power = make_layer("Power Infrastructure", position=2)
    talent = make_layer("Talent", position=3)
    add_scores(minerals, "4.0", "8.0")
    add_scores(power, "3.0", "9.0")
    add_scores(talent, "7.0", "5.0")
    return minerals, power, talent


def module_inputs(us=(3.6e6, 2.25e15, 40.5), china=(2.5e5, 7.9e14, 30)):
    """An accelerators layer with the three inputs of effective compute."""
    layer = make_layer("AI Accelerators", position=7)
    units = ("accelerators/year", "FLOP/s", "%")
    for factor, unit, us_value, china_value in zip(
        compute.FACTORS, units, us, china, strict=True
    ):
        metric = add_metric(layer, factor.name, formula="", key=factor.key)
        for side, value in ((Side.US, us_value), (Side.CHINA, china_value)):
            if value is not None:
                low, high = value if isinstance(value, tuple) else (value, value)
                add_value(metric, side, low, high, unit=unit, source="A source")
    return layer


def key_metric(page, name):
    """The item of the layer's Key metrics list whose name starts with ``name``."""
    found = re.search(
        rf'<li class="metric">\s*<h3 class="metric__name">{name}.*?</li>', page, re.S
    )
    assert found, f"no key metric {name}"
    return found[0]


def query_count(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        get(client, url, **headers)
    return len(queries)


# The comparison on each layer of the stack


class TestComparison:
    def test_home_marks_each_layer_to_fill_in_when_revealed(self, client):
        three_layers()

        page = html(client, "/")

        for slug in ("critical-minerals", "power-infrastructure", "talent"):
            assert re.search(
                rf'<div id="compare-{slug}" class="compare compare--pending" '
                rf'hx-get="/layer/{slug}/comparison/" hx-trigger="intersect once',
                page,
            )

    def test_home_shows_every_comparison_without_javascript(self, client):
        three_layers()

        page = text_of(html(client, "/"))

        assert "US & Allies 4.0 /10 out of 10 China 8.0 /10 out of 10" in page
        assert "Leader China by 4.0" in page
        assert "Leader US & Allies by 2.0" in page

    def test_htmx_request_gets_the_comparison_alone(self, client):
        talent = make_layer("Talent")
        add_scores(talent, "6.5", "5.0", as_of=datetime.date(2026, 6, 1))
        add_scores(talent, "7.0", "5.0")

        fragment = html(client, "/layer/talent/comparison/", **HTMX)

        assert not is_full_page(fragment)
        assert fragment.lstrip().startswith(
            '<div id="compare-talent" class="compare compare--filled">'
        )
        assert "hx-get" not in fragment
        assert '<rect class="bar__fill" width="70" height="10"/>' in fragment
        assert '<rect class="bar__fill" width="50" height="10"/>' in fragment
        words = text_of(fragment)
        assert "Leader US & Allies by 2.0" in words
        assert "US & Allies up 0.5" in words
        assert "China unchanged" in words

    def test_a_first_assessment_says_there_is_nothing_to_compare(self, client):
        add_scores(make_layer("Talent"), "7.0", "5.0")

        fragment = html(client, "/layer/talent/comparison/", **HTMX)

        assert "First assessment, nothing earlier to compare" in fragment

    def test_a_score_going_down_is_said_so(self, client):
        layer = make_layer("Talent")
        add_scores(layer, "7.0", "5.0", as_of=datetime.date(2026, 6, 1))
        add_scores(layer, "6.2", "5.3")

        words = text_of(html(client, "/layer/talent/comparison/", **HTMX))

        assert "US & Allies down 0.8 China up 0.3" in words

    def test_opened_directly_it_is_a_whole_page(self, client):
        add_scores(make_layer("Talent"), "7.0", "5.0")

        page = html(client, "/layer/talent/comparison/")

        assert is_full_page(page)
        assert "Talent: how the two sides compare</h1>" in page
        assert 'class="compare compare--filled"' in page

    def test_a_history_restore_gets_a_whole_page(self, client):
        add_scores(make_layer("Talent"), "7.0", "5.0")

        page = html(client, "/layer/talent/comparison/", **HISTORY_RESTORE)

        assert is_full_page(page)

    @pytest.mark.parametrize("headers", [{}, HTMX])
    def test_responses_vary_on_the_htmx_header(self, client, headers):
        add_scores(make_layer("Talent"), "7.0", "5.0")

        response = get(client, "/layer/talent/comparison/", **headers)

        assert "HX-Request" in response.headers["Vary"]

    def test_an_unknown_layer_is_not_found(self, client):
        assert client.get("/layer/nope/comparison/", **HTMX).status_code == 404

    def test_the_fragment_runs_one_query(self, client, django_assert_num_queries):
        add_scores(make_layer("Talent"), "7.0", "5.0")

        with django_assert_num_queries(COMPARISON_QUERIES):
            get(client, "/layer/talent/comparison/", **HTMX)


# The weakest link


class TestWeakestLink:
    def test_names_each_sides_lowest_layer(self, client):
        three_layers()

        words = text_of(html(client, "/weakest-link/", **HTMX))

        assert "US & Allies Weakest link: Power Infrastructure , 3.0 out of 10" in (
            words
        )
        assert "China Weakest link: Talent , 5.0 out of 10" in words

    def test_draws_each_layer_as_wide_as_its_score_centred(self, client):
        three_layers()

        fragment = html(client, "/weakest-link/", **HTMX)

        # Power: US 3.0 is 30 wide from 35; China 9.0 is 90 wide from 5.
        assert 'class="weakest__bar" x="35.0" width="30.0"' in fragment
        assert 'class="weakest__bar" x="5.0" width="90.0"' in fragment

    def test_highlights_only_the_weakest_cells(self, client):
        three_layers()

        fragment = html(client, "/weakest-link/", **HTMX)

        assert fragment.count("is-weakest") == 2
        assert fragment.count('<span class="weakest__flag">Weakest</span>') == 2

    def test_names_every_layer_tied_for_weakest(self, client):
        a, b, c = (make_layer(position=n) for n in (1, 2, 3))
        add_scores(a, "2.0", "5.0")
        add_scores(b, "2.0", "6.0")
        add_scores(c, "7.0", "6.0")

        words = text_of(html(client, "/weakest-link/", **HTMX))

        assert f"Weakest link: {b.name} and {a.name} , 2.0" in words

    def test_the_chart_is_also_a_table_of_every_score(self, client):
        three_layers()

        fragment = html(client, "/weakest-link/", **HTMX)

        assert "<caption" in fragment
        rows = re.findall(r'<th scope="row"[^>]*>(.*?)</th>', fragment, re.S)
        assert [text_of(row) for row in rows] == [
            "03 Talent",
            "02 Power Infrastructure",
            "01 Critical Minerals",
        ]

    def test_home_shows_it_below_the_stack_waiting_to_be_revealed(self, client):
        three_layers()

        page = html(client, "/")

        assert page.index('id="stack"') < page.index('id="weakest-link"')
        assert re.search(
            r'class="weakest weakest--pending"[^>]*hx-get="/weakest-link/"', page
        )
        assert "Weakest link: <strong" in page
        assert 'href="/weigh/"' in page

    def test_opened_directly_it_is_a_whole_page(self, client):
        three_layers()

        page = html(client, "/weakest-link/")

        assert is_full_page(page)
        assert "<h1" in page

    def test_a_history_restore_gets_a_whole_page(self, client):
        three_layers()

        assert is_full_page(html(client, "/weakest-link/", **HISTORY_RESTORE))

    def test_responses_vary_on_the_htmx_header(self, client):
        response = get(client, "/weakest-link/", **HTMX)

        assert "HX-Request" in response.headers["Vary"]

    @pytest.mark.parametrize("size", [1, 6])
    def test_the_fragment_runs_one_query(self, client, django_assert_num_queries, size):
        for n in range(1, size + 1):
            add_scores(make_layer(position=n), "4.0", "6.0")

        with django_assert_num_queries(WEAKEST_QUERIES):
            get(client, "/weakest-link/", **HTMX)


# Effective compute


class TestEffectiveCompute:
    def test_multiplies_the_imported_figures_step_by_step(self, client, figures):
        words = text_of(html(client, MODULE, **HTMX))

        assert "Start 3.6 million accelerators a year China" in words
        assert (
            "Start 250,000 accelerators a year "
            "range 200,000–300,000 accelerators a year"
        ) in words
        assert (
            "Running total 8.1 ZFLOP/s 8.1 × 10²¹ FLOP/s peak compute added a year "
            "China"
        ) in words
        assert (
            "Running total 200 EFLOP/s 2.0 × 10²⁰ FLOP/s peak compute added a year; "
            "range 160–240 EFLOP/s"
        ) in words
        assert (
            "Running total 3.3 ZFLOP/s 3.3 × 10²¹ FLOP/s effective compute added "
            "a year; range 3.1–3.5 ZFLOP/s"
        ) in words
        assert (
            "Running total 59 EFLOP/s 5.9 × 10¹⁹ FLOP/s effective compute added "
            "a year; range 47–72 EFLOP/s"
        ) in words

    def test_every_number_reads_as_people_read_it(self, client, figures):
        words = text_of(html(client, MODULE, **HTMX))

        # The notes typed in content/figures.md, e.g. "H100/H200 9.894e14".
        assert "H100/H200 989 TFLOP/s; MI300X 1.31 PFLOP/s; TPU v6e 918 TFLOP/s" in (
            words
        )
        assert "910B about 320 TFLOP/s" in words
        assert "7.8–8.0 × 10¹⁴ FLOP/s (dense BF16/FP16)" in words
        assert not re.search(r"\d[eE][-+]?\d", words), "a number in e-notation"
        assert "accelerators accelerators" not in words
        assert not re.search(r"FLOP/s to \d|accelerators to \d", words)

    def test_ends_with_the_ratio_between_the_sides(self, client, figures):
        words = text_of(html(client, f"{MODULE}?step=4", **HTMX))

        assert "55× US & Allies produce about 55 times the effective compute " in (
            words
        )
        assert "of China: between 43× and 74× across the sources’ ranges." in words

    def test_each_step_shows_both_inputs_with_source_and_range(self, client, figures):
        words = text_of(html(client, f"{MODULE}?step=1", **HTMX))

        assert "3,600,000 accelerators/year" in words
        assert "200,000–300,000 accelerators/year Midpoint used: 250,000" in words
        assert "Source NVIDIA CEO at GTC 2025" in words
        assert "Source US Commerce Department testimony, June 2025" in words
        assert "US & Allies ahead 14× at this step" in words

    def test_mfu_in_percent_is_a_share(self, client, figures):
        words = text_of(html(client, f"{MODULE}?step=3", **HTMX))

        assert "38–43% Midpoint used: 40.5%" in words
        assert "US & Allies ahead 55× at this step" in words

    def test_a_step_request_gets_that_step_alone(self, client, figures):
        fragment = html(client, f"{MODULE}?step=2", **HTMX)

        assert fragment.lstrip().startswith(
            '<li id="ecm-step-2" class="ecm__step ecm__step--filled">'
        )
        assert "ecm-step-1" not in fragment
        assert "ecm-step-3" not in fragment

    @pytest.mark.parametrize("step", ["0", "5", "abc", "²", "-1", ""])
    def test_an_unknown_step_gets_the_whole_module(self, client, figures, step):
        fragment = html(client, f"{MODULE}?step={step}", **HTMX)

        assert fragment.lstrip().startswith('<section id="effective-compute"')

    def test_the_layer_page_holds_the_module_waiting_to_be_revealed(
        self, client, figures
    ):
        page = html(client, ACCELERATORS)

        for number in (1, 2, 3, 4):
            assert re.search(
                rf'<li id="ecm-step-{number}" class="ecm__step[^"]*'
                rf'ecm__step--pending" hx-get="{MODULE}\?step={number}"',
                page,
            )
        # Without JavaScript every number is already there.
        words = text_of(page)
        assert "3.3 ZFLOP/s" in words
        assert "59 EFLOP/s" in words
        assert "55×" in words

    def test_other_layer_pages_have_no_module(self, client, figures):
        assert "effective-compute" not in html(client, "/layer/talent/")
        assert client.get("/layer/talent/effective-compute/").status_code == 404

    def test_a_missing_input_says_so_instead_of_a_number(self, client):
        module_inputs(china=(2.5e5, None, 30))

        words = text_of(html(client, MODULE, **HTMX))

        assert "China No public figure" in words
        assert "No running total: this figure is missing." in words
        assert "No running total: an earlier figure is missing." in words
        assert "No ratio yet: a figure is missing." in words
        assert "Peak FLOP/s per accelerator for China: no public figure" in words
        assert "ZFLOP/s" in words  # the US side still adds up

    def test_a_figure_in_words_cannot_be_multiplied(self, client):
        layer = module_inputs()
        MetricValue.objects.filter(
            metric__layer=layer, metric__key="mfu", side=Side.CHINA
        ).update(low=None, high=None, text="about a third")

        words = text_of(html(client, f"{MODULE}?step=3", **HTMX))

        assert "“about a third” is not a number" in words

    def test_reads_si_prefixes_in_the_unit(self, client):
        layer = module_inputs()
        MetricValue.objects.filter(
            metric__layer=layer, metric__key="peak-flops", side=Side.CHINA
        ).update(low=790, high=790, unit="TFLOP/s")

        words = text_of(html(client, f"{MODULE}?step=4", **HTMX))

        assert "55×" in words

    def test_changing_a_figure_in_the_admin_changes_the_module(
        self, client, admin_client, figures
    ):
        metric = Layer.objects.get(slug="ai-accelerators").metrics.get(key="mfu")
        url = f"/admin/layers/metric/{metric.pk}/change/"
        data = change_form_data(admin_client.get(url))
        for name in field_names(data, "-side"):
            if data[name] == [Side.US.value]:
                row = name.removesuffix("-side")
                data[f"{row}-low"] = ["81"]
                data[f"{row}-high"] = ["81"]

        response = admin_client.post(url, data)

        assert response.status_code == 302, response.content.decode()[:2000]
        words = text_of(html(client, f"{MODULE}?step=4", **HTMX))
        # Twice the utilization, twice the compute: 6.6 ZFLOP/s, 111×.
        assert "6.6 ZFLOP/s" in words
        assert "111×" in words
        # The key metric that states the result says the same.
        result = text_of(key_metric(html(client, ACCELERATORS), "Effective compute"))
        assert "US & Allies 6.6 ZFLOP/s 6.6 × 10²¹ FLOP/s" in result
        assert "US & Allies ahead 111×" in result

    def test_the_key_metric_states_the_worked_out_result(self, client, figures):
        item = key_metric(html(client, ACCELERATORS), "Effective compute")

        assert (
            "US & Allies 3.3 ZFLOP/s 3.3 × 10²¹ FLOP/s From estimates "
            "Range 3.1–3.5 ZFLOP/s "
            "China 59 EFLOP/s 5.9 × 10¹⁹ FLOP/s From estimates Range 47–72 EFLOP/s "
            "US & Allies ahead 55×"
        ) in text_of(item)
        assert (
            "ahead <strong>55×</strong>. Worked out on this page from units "
            "shipped, peak FLOP/s per unit and realized MFU: "
            '<a href="#effective-compute">see it step by step</a>.'
        ) in item
        assert "No public figure" not in text_of(item)

    def test_the_key_metric_says_when_a_figure_is_missing(self, client):
        layer = module_inputs(china=(2.5e5, None, 30))
        add_metric(layer, "Effective compute produced", key=compute.RESULT_KEY)

        result = text_of(key_metric(html(client, ACCELERATORS), "Effective compute"))

        assert "US & Allies 3.3 ZFLOP/s" in result
        assert "China Not worked out: a figure is missing" in result
        assert "ahead" not in result

    def test_opened_directly_it_is_a_whole_page(self, client, figures):
        page = html(client, f"{MODULE}?step=2")

        assert is_full_page(page)
        assert "AI Accelerators: who produces more effective compute</h1>" in page
        assert 'id="ecm-step-4"' in page

    def test_a_history_restore_gets_a_whole_page(self, client, figures):
        assert is_full_page(html(client, f"{MODULE}?step=2", **HISTORY_RESTORE))

    def test_responses_vary_on_the_htmx_header(self, client, figures):
        response = get(client, f"{MODULE}?step=2", **HTMX)

        assert "HX-Request" in response.headers["Vary"]

    @pytest.mark.parametrize("step", ["", "?step=2", "?step=4"])
    def test_the_fragment_runs_three_queries(
        self, client, django_assert_num_queries, step
    ):
        module_inputs()

        with django_assert_num_queries(EFFECTIVE_COMPUTE_QUERIES):
            get(client, f"{MODULE}{step}", **HTMX)

    def test_the_module_adds_no_query_to_the_layer_page(self, client):
        layer = module_inputs()
        plain = make_layer("Plain", position=8)
        for _ in range(3):
            metric = add_metric(plain)
            add_value(metric, Side.US, 1)
            add_value(metric, Side.CHINA, 1)
        assert layer.metrics.count() == plain.metrics.count()

        with_module = query_count(client, layer.get_absolute_url())
        without = query_count(client, plain.get_absolute_url())

        assert with_module == without


# Weigh the stack


class TestWeigh:
    def test_equal_weights_by_default(self, client):
        three_layers()

        page = html(client, "/weigh/")

        # US (4 + 3 + 7) / 3 = 4.7; China (8 + 9 + 5) / 3 = 7.3; the gap is
        # read from the rounded figures that readers see.
        words = text_of(page)
        assert "China leads by 2.6" in words
        assert "US & Allies 4.7 China 7.3 out of 10" in words
        assert len(re.findall(r'type="range"[^>]*value="5"', page)) == 3

    def test_weights_in_the_link_set_the_result(self, client):
        three_layers()

        page = html(client, "/weigh/?w-talent=10&w-power-infrastructure=0")

        # US (4×5 + 7×10) / 15 = 6.0; China (8×5 + 5×10) / 15 = 6.0.
        words = text_of(page)
        assert "Even at 6.0 each" in words
        assert re.search(r'name="w-talent"[^>]*value="10"', page)
        assert re.search(r'name="w-power-infrastructure"[^>]*value="0"', page)
        assert "Ignored" not in page

    def test_the_form_works_without_javascript(self, client):
        three_layers()

        page = html(client, "/weigh/")

        assert '<form class="weigh__form" method="get" action="/weigh/"' in page
        assert '<button class="button weigh__submit" type="submit">' in page

    def test_the_form_updates_through_htmx_as_sliders_move(self, client):
        three_layers()

        page = html(client, "/weigh/")

        assert re.search(
            r'hx-get="/weigh/" hx-trigger="input delay:\d+ms, submit" '
            r'hx-target="#weigh-result"',
            page,
        )
        # A request still on its way is waited for, never aborted.
        assert 'hx-sync="this:queue last"' in page
        assert 'id="weigh-result" class="weigh__result" aria-live="polite"' in page

    def test_htmx_request_gets_the_result_and_the_changed_weights(self, client):
        three_layers()

        response = get(client, "/weigh/?w-talent=10&w-critical-minerals=5", **HTMX)

        fragment = response.content.decode()
        assert not is_full_page(fragment)
        assert "<form" not in fragment
        # US (4×5 + 3×5 + 7×10) / 20 = 5.3; China (8×5 + 9×5 + 5×10) / 20 = 6.8.
        assert "China leads by 1.5" in text_of(fragment)
        assert "US & Allies 5.3 China 6.8 out of 10" in text_of(fragment)
        assert (
            '<span id="weight-talent" class="weigh__weight" hx-swap-oob="true">'
            in fragment
        )
        assert 'id="weigh-notes" class="weigh__notes" hx-swap-oob="true"' in fragment

    def test_htmx_request_puts_the_shareable_link_in_the_address_bar(self, client):
        three_layers()

        response = get(client, "/weigh/?w-talent=10&w-critical-minerals=5", **HTMX)

        # Default weights are left out of the link.
        assert response.headers["HX-Replace-Url"] == "/weigh/?w-talent=10"
        assert 'href="/weigh/?w-talent=10">Link to these weights' in (
            response.content.decode()
        )

    def test_a_shared_link_opens_as_a_whole_page(self, client):
        three_layers()

        fragment = html(client, "/weigh/?w-talent=10", **HTMX)
        page = html(client, "/weigh/?w-talent=10")

        assert is_full_page(page)
        verdict = re.search(r'<p class="weigh__verdict.*?</p>', fragment, re.S)[0]
        assert verdict in page

    def test_a_history_restore_gets_a_whole_page(self, client):
        three_layers()

        response = get(client, "/weigh/?w-talent=10", **HISTORY_RESTORE)

        assert is_full_page(response.content.decode())
        assert "HX-Replace-Url" not in response.headers

    @pytest.mark.parametrize("headers", [{}, HTMX])
    def test_responses_vary_on_the_htmx_header(self, client, headers):
        response = get(client, "/weigh/", **headers)

        assert "HX-Request" in response.headers["Vary"]

    @pytest.mark.parametrize(
        ("query", "ignored"),
        [
            ("w-talent=abc", "w-talent=abc</code> (not a whole number from 0 to 10)"),
            ("w-talent=99", "w-talent=99</code> (above 10)"),
            ("w-talent=-1", "w-talent=-1</code> (not a whole number from 0 to 10)"),
            ("w-talent=1e309", "w-talent=1e309</code> (not a whole number"),
            ("w-talent=NaN", "w-talent=NaN</code> (not a whole number"),
            ("w-talent=7.5", "w-talent=7.5</code> (not a whole number"),
            ("w-talent=", "w-talent=</code> (not a whole number"),
            ("w-talent=3&w-talent=4", "w-talent</code> (given 2 times)"),
            ("w-nope=3", "w-nope=3</code> (no such layer)"),
            ("w-talent=%00%FF", "w-talent=\x00\ufffd</code> (not a whole number"),
        ],
    )
    def test_a_malformed_weight_falls_back_to_the_default(self, client, query, ignored):
        three_layers()

        page = html(client, f"/weigh/?{query}")

        assert ignored in page
        assert "the default weight of 5 used instead" in page
        assert re.search(r'name="w-talent"[^>]*value="5"', page)
        assert "China leads by 2.6" in text_of(page)

    def test_a_malformed_weight_is_escaped(self, client):
        three_layers()

        page = html(client, "/weigh/?w-talent=<script>")

        assert "<script>" not in page.split("</head>", 1)[1]
        assert "w-talent=&lt;script&gt;" in page

    def test_a_long_value_is_shortened_in_the_note(self, client):
        three_layers()

        page = html(client, "/weigh/?w-talent=" + "9" * 500)

        assert "w-talent=" + "9" * 23 + "…</code>" in page

    def test_a_huge_link_is_set_aside_whole(self, client):
        three_layers()

        page = html(client, "/weigh/?w-talent=1&pad=" + "x" * 10_000)

        assert "The link was too long to read" in page
        assert re.search(r'name="w-talent"[^>]*value="5"', page)

    def test_too_many_settings_are_set_aside_not_an_error(self, client):
        three_layers()

        query = "&".join(f"w-talent={n % 10}" for n in range(150))
        page = html(client, f"/weigh/?{query}")

        assert "The link had too many settings to read" in page

    def test_other_parameters_are_left_alone(self, client):
        three_layers()

        page = html(client, "/weigh/?utm_source=news&w-talent=8")

        assert "Ignored" not in page
        assert re.search(r'name="w-talent"[^>]*value="8"', page)

    def test_all_weights_zero_says_there_is_nothing_to_weigh(self, client):
        three_layers()
        query = "&".join(
            f"w-{slug}=0"
            for slug in ("critical-minerals", "power-infrastructure", "talent")
        )

        page = html(client, f"/weigh/?{query}")

        assert "Every weight is zero, so there is nothing to weigh." in page
        assert "weigh__verdict" not in page

    def test_layers_not_scored_for_both_sides_are_left_out(self, client):
        three_layers()
        make_layer("Curated Data", position=4)

        words = text_of(html(client, "/weigh/"))

        assert "China leads by 2.6" in words
        assert "Left out until both sides are scored: Curated Data." in words

    def test_is_linked_from_the_navigation(self, client):
        page = html(client, "/")

        assert re.search(r'<nav class="site-nav".*href="/weigh/"', page, re.S)

    @pytest.mark.parametrize("size", [1, 6])
    def test_the_fragment_runs_one_query(self, client, django_assert_num_queries, size):
        for n in range(1, size + 1):
            add_scores(make_layer(position=n), "4.0", "6.0")

        with django_assert_num_queries(WEIGH_QUERIES):
            get(client, "/weigh/?w-talent=3", **HTMX)


@pytest.mark.parametrize(
    "url", ["/weigh/", "/weakest-link/", "/layer/layer-1/comparison/"]
)
def test_whole_pages_run_the_same_queries_whatever_the_data(client, url):
    def build(size, start):
        for n in range(start, start + size):
            layer = make_layer(f"Layer {n}", position=n)
            add_scores(layer, "3.0", "6.0", as_of=datetime.date(2026, 1, 1))
            add_scores(layer, "4.0", "7.0")

    build(1, 1)
    small = query_count(client, url)
    build(6, 2)
    assert query_count(client, url) == small


def test_the_module_page_runs_the_same_queries_whatever_the_data(client):
    layer = module_inputs()
    small = query_count(client, MODULE)
    for metric in layer.metrics.all():
        metric.values.all().delete()
    assert query_count(client, MODULE) == small


@pytest.mark.parametrize("url", ["/weigh/?w-talent=abc", "/weakest-link/", MODULE])
def test_widget_pages_have_no_inline_style_the_csp_would_block(client, url):
    three_layers()
    module_inputs()

    page = html(client, url)

    assert "style=" not in page
    assert "<style" not in page


def test_the_js_flag_runs_with_the_csp_nonce(client):
    response = client.get("/")

    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert (
        f'<script nonce="{nonce[1]}">document.documentElement.classList.add("js");'
        in response.content.decode()
    )


# The numbers behind the widgets


class TestNumbers:
    @pytest.mark.parametrize(
        ("value", "prefixed", "powers"),
        [
            (3.2805e21, "3.3 ZFLOP/s", "3.3 × 10²¹ FLOP/s"),
            (5.925e19, "59 EFLOP/s", "5.9 × 10¹⁹ FLOP/s"),
            (1.975e20, "200 EFLOP/s", "2.0 × 10²⁰ FLOP/s"),
            (9.96e20, "1.0 ZFLOP/s", "1.0 × 10²¹ FLOP/s"),
            (2.25e15, "2.3 PFLOP/s", "2.3 × 10¹⁵ FLOP/s"),
        ],
    )
    def test_flops_read_as_people_read_them(self, value, prefixed, powers):
        assert compute.with_prefix(value, "FLOP/s") == prefixed
        assert compute.scientific(value, "FLOP/s") == powers

    @pytest.mark.parametrize(
        ("value", "words"),
        [(3.6e6, "3.6 million"), (2.5e5, "250,000"), (1.2e9, "1.2 billion")],
    )
    def test_counts_read_as_people_say_them(self, value, words):
        assert compute.count(value) == words

    @pytest.mark.parametrize(
        ("low", "high", "prefixed", "powers"),
        [
            (1.56e20, 2.4e20, "160–240 EFLOP/s", "1.6–2.4 × 10²⁰ FLOP/s"),
            (3.1e21, 3.5e21, "3.1–3.5 ZFLOP/s", "3.1–3.5 × 10²¹ FLOP/s"),
            (7.8e14, 8e14, "780–800 TFLOP/s", "7.8–8.0 × 10¹⁴ FLOP/s"),
            (9e17, 1.2e18, "0.9–1.2 EFLOP/s", "0.9–1.2 × 10¹⁸ FLOP/s"),
            (
                5e15,
                1.2e18,
                "5.0 PFLOP/s to 1.2 EFLOP/s",
                "5.0 × 10¹⁵ FLOP/s to 1.2 × 10¹⁸ FLOP/s",
            ),
        ],
    )
    def test_a_range_reads_once_with_one_unit(self, low, high, prefixed, powers):
        assert compute.prefix_span(low, high, "FLOP/s") == prefixed
        assert compute.scientific_span(low, high, "FLOP/s") == powers

    @pytest.mark.parametrize(
        ("low", "high", "words"),
        [
            (2e5, 3e5, "200,000–300,000"),
            (3.2e6, 4e6, "3.2–4.0 million"),
            (8e5, 1.2e6, "0.8–1.2 million"),
        ],
    )
    def test_a_range_of_counts_reads_once(self, low, high, words):
        assert compute.count_span(low, high) == words

    @pytest.mark.parametrize(
        ("text", "unit", "readable"),
        [
            (
                "H100/H200 9.894e14; TPU v6e 9.18e14",
                "FLOP/s (dense BF16)",
                "H100/H200 989 TFLOP/s; TPU v6e 918 TFLOP/s",
            ),
            ("MI300X 1.307e15", "FLOP/s", "MI300X 1.31 PFLOP/s"),
            ("910B about 3.2e14 FLOP/s", "", "910B about 320 TFLOP/s"),
            ("a run of 3.8e25 FLOP", "", "a run of 38 YFLOP"),
            ("about 3.2e14", "units", "about 3.2 × 10¹⁴"),
            ("about 2.5e5", "units", "about 250,000"),
            ("arXiv 2505.04519, v1.2e3x", "FLOP/s", "arXiv 2505.04519, v1.2e3x"),
        ],
    )
    def test_e_notation_in_a_note_reads_as_people_read_it(self, text, unit, readable):
        assert compute.readable_numbers(text, unit) == readable

    @pytest.mark.parametrize(
        ("ratio", "words"), [(55.37, "55×"), (3.25, "3.3×"), (1.0, "1.0×")]
    )
    def test_ratios(self, ratio, words):
        assert compute.times(ratio) == words

    def test_effective_compute_of_the_worked_check(self):
        """content/figures.md: 3.3e21 and 5.9e19 FLOP/s, a ratio of about 55."""
        layer = module_inputs(
            us=(3.6e6, 2.25e15, 40.5), china=((2e5, 3e5), (7.8e14, 8e14), 30)
        )

        module = compute.effective_compute(layer.metrics.all())

        us, china = module.totals
        assert us.product == pytest.approx(3.28e21, rel=1e-3)
        assert china.product == pytest.approx(5.925e19, rel=1e-3)
        assert module.ratio.leader == "US & Allies"
        assert module.ratio.value == pytest.approx(55.4, abs=0.1)
        assert module.ratio.low == pytest.approx(3.6e6 * 2.25e15 * 0.405 / 7.2e19)

    def test_weights_are_whole_numbers_from_0_to_10(self):
        weights = compute.read_weights(
            "w-a=0&w-b=10&w-c=11&w-d=x&w-e=7", ["a", "b", "c", "d"]
        )

        assert weights.by_slug == {"a": 0, "b": 10, "c": 5, "d": 5}
        assert [what for what, _ in weights.ignored] == ["w-c=11", "w-d=x", "w-e=7"]
        assert weights.query() == "w-a=0&w-b=10"

    def test_weighing_leaves_out_zero_weights(self):
        layers = [
            SimpleNamespace(
                slug="a", us_score=Decimal("2.0"), china_score=Decimal("9.0")
            ),
            SimpleNamespace(
                slug="b", us_score=Decimal("8.0"), china_score=Decimal("4.0")
            ),
        ]

        result = compute.weigh(layers, compute.Weights({"a": 0, "b": 3}))

        assert (result.us, result.china) == (Decimal("8.0"), Decimal("4.0"))
        assert [row.share for row in result.rows] == [0, 1]
