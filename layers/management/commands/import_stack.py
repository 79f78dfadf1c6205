from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from charts.loader import import_charts, parse_charts
from layers.importer import (
    ImportConflict,
    ParseError,
    import_document,
    import_figures,
    parse_document,
    parse_figures,
)
from tracker import cache as page_cache

FIGURES_NAME = "figures.md"
CHARTS_NAME = "charts.md"


class Command(BaseCommand):
    help = (
        "Load the tracker's content document, and the sourced figures and "
        "charts beside it, into the database. Rows that already exist are "
        "left as they are, so a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="The content document, e.g. content/ai-stack-tracker.md."
        )
        parser.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="The date that ages such as '3 weeks ago' count back from, "
            "and the date of the scores. Defaults to today.",
        )
        figures = parser.add_mutually_exclusive_group()
        figures.add_argument(
            "--figures",
            metavar="PATH",
            help=f"The sourced figures. Defaults to {FIGURES_NAME} beside the "
            "document, if there is one.",
        )
        figures.add_argument(
            "--no-figures",
            action="store_true",
            help="Load the document only.",
        )

    def handle(self, *args, path, as_of, figures, no_figures, **options):
        as_of = _parse_date(as_of) if as_of else timezone.localdate()
        document = _parse(path, parse_document)
        figures_path = None
        if not no_figures:
            figures_path = figures or _beside(path)
        rows = _parse(figures_path, parse_figures) if figures_path else None
        # The charts that ship with the content load with the figures.
        charts_path = Path(path).with_name(CHARTS_NAME)
        charts = None
        if not no_figures and charts_path.is_file():
            charts = _parse(charts_path, parse_charts)
        try:
            with transaction.atomic():
                report = import_document(document, as_of)
                figures_report = import_figures(rows) if rows is not None else None
                charts_report = import_charts(charts) if charts is not None else None
        except ImportConflict as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        # The importer writes in bulk, which sends no save signals.
        page_cache.bump_generation()
        self.stdout.write(
            f"Read {len(document.layers)} layers from {path}; "
            f"ages count back from {as_of:%Y-%m-%d}."
        )
        for line in report.lines():
            self.stdout.write(line)
        if figures_report is not None:
            count = f"{len(rows)} figure{'s' if len(rows) != 1 else ''}"
            self.stdout.write(f"Read {count} from {figures_path}.")
            for line in figures_report.lines():
                self.stdout.write(line)
        if charts_report is not None:
            self.stdout.write(f"Read {len(charts)} charts from {charts_path}.")
            for line in charts_report.lines():
                self.stdout.write(line)


def _beside(path):
    candidate = Path(path).with_name(FIGURES_NAME)
    return str(candidate) if candidate.is_file() else None


def _parse(path, parse):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read {path}: {error}") from error
    try:
        return parse(text)
    except ParseError as error:
        raise CommandError(f"{path}, {error}. Nothing was imported.") from error


def _parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--as-of must be a date written YYYY-MM-DD, such as 2026-12-02; "
            f"'{text}' is not one."
        ) from None
