"""/data/: the open-data page and the files it links to.

Every file takes ``?layer=<slug>`` for one layer and ``?as_of=YYYY-MM-DD``
for the tracker as it stood at the end of that day. The files stream; see
layers/exports.py for what is in them.
"""

import datetime

from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, re_path
from django.views.decorators.http import require_GET

from . import asof, exports
from .models import Layer
from .views import chosen_layer

app_name = "data"

BAD_DATE = "as_of must be a date written YYYY-MM-DD, e.g. 2026-12-02."
# As the API answers: a file of a day to come would only be today's, misdated.
FUTURE_DATE = "as_of must not be after today ({today:%Y-%m-%d})."
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "zip": "application/zip",
}


@require_GET
def index(request):
    context = {
        "datasets": exports.DATASETS,
        "layers": Layer.objects.in_stack_order().only("name", "slug"),
        "licence": exports.LICENCE,
        "licence_url": exports.LICENCE_URL,
        "list_separator": exports.LIST_SEPARATOR,
        "zip_name": exports.ZIP_NAME,
    }
    return render(request, "data/index.html", context)


@require_GET
def download(request, dataset, extension):
    dataset = exports.BY_SLUG.get(dataset)
    if dataset is None:
        raise Http404(f"There is no such file. The files are: {_names()}.")
    options, error = _options(request)
    if error:
        return error
    if extension == "csv":
        chunks = exports.csv_chunks(dataset, options)
    else:
        chunks = exports.json_chunks(dataset, options)
    return _stream(chunks, extension, dataset.filename(extension, options))


@require_GET
def download_zip(request):
    options, error = _options(request)
    if error:
        return error
    name = exports.ZIP_NAME.replace(".zip", f"{options.suffix}.zip")
    return _stream(exports.zip_chunks(options), "zip", name)


def _options(request):
    """Read ``layer`` and ``as_of``: (Options, None), or (None, a 400 response)."""
    layer = chosen_layer(request)
    as_of = None
    if raw := request.GET.get("as_of"):
        as_of = parse_date(raw)
        if as_of is None:
            return None, _bad_request(BAD_DATE)
        if as_of > asof.today():
            return None, _bad_request(FUTURE_DATE.format(today=asof.today()))
    options = exports.Options(
        layer=layer, as_of=as_of, base_url=exports.site_url(request)
    )
    return options, None


def _bad_request(text):
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


def parse_date(value):
    """A YYYY-MM-DD date, or None for anything else."""
    # fromisoformat() also reads 20261202 and 2026-W49-3.
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _stream(chunks, extension, filename):
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[extension])
    disposition = "inline" if extension == "json" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # Open data: any site's scripts may read it. No cookie is involved.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _names():
    return ", ".join(
        f"{dataset.slug}.csv, {dataset.slug}.json" for dataset in exports.DATASETS
    )


urlpatterns = [
    path("", index, name="index"),
    path(exports.ZIP_NAME, download_zip, name="zip"),
    re_path(
        r"^(?P<dataset>[a-z-]+)\.(?P<extension>csv|json)$", download, name="download"
    ),
]
