import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from layers import synthetic
from layers.models import Layer

HOST = "127.0.0.1"
CEILING_DIR = "bench-ceiling"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


class Command(BaseCommand):
    help = (
        "Fill a separate PostgreSQL database with a large synthetic stack, "
        "serve it with gunicorn as in production, and measure it with wrk "
        "against a static file of the same size. Drops that database first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--seconds", type=int, default=10)
        parser.add_argument("--connections", type=int, default=20)
        parser.add_argument("--layers", type=int, default=100)
        parser.add_argument("--scores", type=int, default=100_000)
        parser.add_argument("--developments", type=int, default=20_000)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL: set DATABASE_URL to a "
                "database it may drop and create."
            )
        if not shutil.which("wrk"):
            raise CommandError("wrk is missing: apt-get install wrk")
        if settings.DEBUG:
            raise CommandError("Run the benchmark with DEBUG=False, as in production.")

        self._recreate_database()
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        counts = synthetic.fill(
            options["layers"], options["scores"], options["developments"]
        )
        self.stdout.write(
            "Filled {layers} layers, {scores} scores and {developments} "
            "developments".format(**counts)
            + f" in {time.monotonic() - started:.0f} s."
        )

        targets = self._targets()
        ceilings = self._write_ceilings(targets)
        server = self._start_gunicorn(options["port"])
        try:
            base = f"http://{HOST}:{options['port']}"
            self._wait_until_healthy(base)
            rows = []
            for name, (path, headers) in targets.items():
                page = self._measure(base + path, headers, options)
                ceiling = self._measure(base + ceilings[name], {}, options)
                rows.append((name, path, page, ceiling))
        finally:
            server.terminate()
            server.wait(timeout=30)
            shutil.rmtree(Path(settings.STATIC_ROOT) / CEILING_DIR, ignore_errors=True)
        self._report(rows, options)

    def _recreate_database(self):
        name = connection.settings_dict["NAME"]
        connection.close()
        params = {
            key: value
            for key, value in {
                "host": connection.settings_dict["HOST"],
                "port": connection.settings_dict["PORT"],
                "user": connection.settings_dict["USER"],
                "password": connection.settings_dict["PASSWORD"],
            }.items()
            if value
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            quoted = psycopg.sql.Identifier(name)
            admin.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    quoted
                )
            )
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(quoted))
        self.stdout.write(f"Created the database {name}.")

    def _targets(self):
        """Name: (path, request headers) of each page measured."""
        layer = Layer.objects.in_stack_order()[Layer.objects.count() // 2]
        return {
            "/": ("/", {}),
            "layer page": (layer.get_absolute_url(), {}),
            "news list": ("/news/", {}),
            "partial": (
                f"{layer.get_absolute_url()}comparison/",
                {"HX-Request": "true"},
            ),
        }

    def _write_ceilings(self, targets):
        """For each page, a static file of its size, served by WhiteNoise."""
        folder = Path(settings.STATIC_ROOT) / CEILING_DIR
        folder.mkdir(parents=True, exist_ok=True)
        client = Client(HTTP_HOST=HOST)
        paths = {}
        for number, (name, (path, headers)) in enumerate(targets.items()):
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise CommandError(f"{path} answered {response.status_code}.")
            file = folder / f"page-{number}.html"
            file.write_bytes(b"x" * len(response.content))
            paths[name] = f"/{settings.STATIC_URL.strip('/')}/{CEILING_DIR}/{file.name}"
        return paths

    def _start_gunicorn(self, port):
        env = {
            **os.environ,
            "PORT": str(port),
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_COOKIES": "False",
        }
        log = Path(settings.BASE_DIR) / "bench-gunicorn.log"
        self.stdout.write(f"Starting gunicorn on port {port}; its log: {log.name}")
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
            + ["--bind", f"{HOST}:{port}", "tracker.wsgi"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def _wait_until_healthy(self, base):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise CommandError("gunicorn did not answer /healthz within 30 seconds.")

    def _measure(self, url, headers, options):
        command = ["wrk", "--latency", "-t2", f"-c{options['connections']}"]
        command += [f"-d{options['seconds']}s", "--timeout", "5s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        # One request first, so the measured run starts warm.
        subprocess.run(
            [*command[:2], "-t1", "-c1", "-d1s", url], capture_output=True, check=True
        )
        output = subprocess.run(
            [*command, url], capture_output=True, text=True, check=True
        ).stdout
        return _parse_wrk(output)

    def _report(self, rows, options):
        self.stdout.write(
            f"\n{options['connections']} connections, {options['seconds']} s each, "
            f"{os.cpu_count()} CPUs; ceiling: a static file of the same size.\n"
        )
        header = (
            f"{'page':<11} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
            f" | {'ceiling':>8} {'p99 ms':>7} | {'ratio':>5}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, _path, page, ceiling in rows:
            ratio = page.requests_per_second / ceiling.requests_per_second
            self.stdout.write(
                f"{name:<11} {page.requests_per_second:>8.0f} {page.p50_ms:>7.1f} "
                f"{page.p99_ms:>7.1f} {page.errors:>6} | "
                f"{ceiling.requests_per_second:>8.0f} {ceiling.p99_ms:>7.1f} | "
                f"{ratio:>5.0%}"
            )


def _parse_wrk(output):
    def latency(percent):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\b", output, re.M)
        return float(match[1]) * UNITS[match[2]]

    errors = sum(
        int(n)
        for n in re.findall(
            r"(?:connect|read|write|timeout) (\d+)",
            re.search(r"Socket errors:.*", output)[0]
            if "Socket errors" in output
            else "",
        )
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(bad[1]) if bad else 0
    return Result(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        p50_ms=latency(50),
        p99_ms=latency(99),
        errors=errors,
    )
