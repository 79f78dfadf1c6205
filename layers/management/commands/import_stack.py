from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layers.importer import ImportConflict, ParseError, import_document, parse_document


class Command(BaseCommand):
    help = (
        "Load the tracker's content document into the database. Rows that "
        "already exist are left as they are, so a second run changes nothing."
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

    def handle(self, *args, path, as_of, **options):
        as_of = _parse_date(as_of) if as_of else timezone.localdate()
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            document = parse_document(text)
        except ParseError as error:
            raise CommandError(f"{path}, {error}. Nothing was imported.") from error
        try:
            report = import_document(document, as_of)
        except ImportConflict as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        self.stdout.write(
            f"Read {len(document.layers)} layers from {path}; "
            f"ages count back from {as_of:%Y-%m-%d}."
        )
        for line in report.lines():
            self.stdout.write(line)


def _parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--as-of must be a date written YYYY-MM-DD, such as 2026-12-02; "
            f"'{text}' is not one."
        ) from None
