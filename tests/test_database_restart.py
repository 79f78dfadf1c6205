"""A PostgreSQL restart under traffic costs only the requests in flight.

The test starts a PostgreSQL cluster of its own (restarting the shared one
would pull the database out from under every other test), loads the
shipped content into it, serves it with gunicorn from gunicorn.conf.py as in
production, keeps readers asking for layer pages, and restarts PostgreSQL in
the middle. Workers keep their database connections between requests, so
without a check before reuse the first request on each thread after the
restart would fail on a dead connection.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "ai-stack-tracker.md"
READERS = 6
PAGES = ("/", "/layer/memory/", "/layer/fabrication/", "/news/")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pg_binary(name):
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not versions:
        pytest.fail(f"PostgreSQL's {name} is needed for this test and was not found.")
    return str(versions[-1])


def _as_cluster_owner(command):
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    def __init__(self, folder):
        self.data = folder / "data"
        self.socket_dir = folder
        self.log = folder / "postgres.log"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        subprocess.run(
            _as_cluster_owner(
                [_pg_binary("initdb"), "-D", str(self.data), "-U", "postgres"]
                + ["-A", "trust", "--no-sync", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/tracker"

    def pg_ctl(self, action, *extra):
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        subprocess.run(
            _as_cluster_owner(
                [_pg_binary("pg_ctl"), action, "-D", str(self.data), "-w"]
                + ["-l", str(self.log), "-o", options, *extra]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )


@pytest.fixture(scope="module")
def cluster():
    # Not under pytest's own temporary folder, which only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="tracker-postgres-"))
    cluster = Cluster(folder)
    cluster.pg_ctl("start")
    try:
        subprocess.run(
            _as_cluster_owner(
                [_pg_binary("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port)]
                + ["-U", "postgres", "tracker"]
            ),
            check=True,
            capture_output=True,
        )
        yield cluster
    finally:
        cluster.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def server(cluster, tmp_path_factory):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": cluster.url,
        # Every request must reach the database: no page cache, no Redis.
        "REDIS_URL": "",
        "PAGE_CACHE_SECONDS": "0",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "False",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "warning",
    }
    manage = [sys.executable, "manage.py"]
    for command in (
        ["collectstatic", "--noinput", "-v", "0"],
        ["migrate", "--noinput", "-v", "0"],
        ["import_stack", str(CONTENT), "--as-of", "2026-12-02"],
    ):
        done = subprocess.run(
            manage + command, cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "tracker.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/healthz", master, log)
        yield base, master
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)


def _wait_for(url, master, log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if master.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer {url} within 60 seconds.")


def _workers(master):
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return set(children.read_text().split())


class Readers:
    """Threads that ask for pages one after another, noting each answer."""

    def __init__(self, base):
        self.base = base
        self.answers = []  # (started, finished, status)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.reading = threading.Event()
        self.reading.set()
        self.idle = threading.Semaphore(0)
        self.threads = [
            threading.Thread(target=self._read, args=(number,), daemon=True)
            for number in range(READERS)
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.reading.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def pause(self):
        """Return once no request is in flight."""
        self.reading.clear()
        for _ in self.threads:
            self.idle.acquire(timeout=30)

    def resume(self):
        self.reading.set()

    def _read(self, number):
        turn = number
        while not self.stop.is_set():
            if not self.reading.is_set():
                self.idle.release()
                self.reading.wait()
                continue
            page = PAGES[turn % len(PAGES)]
            turn += 1
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.base + page, timeout=20) as answer:
                    answer.read()
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = None
            with self.lock:
                self.answers.append((started, time.monotonic(), status))

    def between(self, start, end):
        with self.lock:
            return [a for a in self.answers if start <= a[0] and a[1] <= end]


def test_restarting_postgresql_costs_only_the_requests_in_flight(cluster, server):
    base, master = server
    workers_before = _workers(master)
    assert len(workers_before) == 2

    with Readers(base) as readers:
        time.sleep(3)
        # A restart while no request is in flight: every worker thread still
        # holds a connection to the old server, and must not use it.
        readers.pause()
        quiet_restart = time.monotonic()
        cluster.pg_ctl("restart", "-m", "fast")
        readers.resume()
        time.sleep(3)
        # A restart in the middle of traffic.
        busy_restart = time.monotonic()
        cluster.pg_ctl("restart", "-m", "fast")
        back = time.monotonic()
        time.sleep(3)
        ended = time.monotonic()

    before = readers.between(0, busy_restart)
    after = readers.between(back, ended)
    # Readers were busy on both sides of each restart.
    assert len(readers.between(0, quiet_restart)) > 20
    assert len(readers.between(quiet_restart, busy_restart)) > 20
    assert len(after) > 20
    # Nothing failed around the quiet restart, first requests included.
    assert {status for _, _, status in before} == {200}
    # Every request that began once PostgreSQL was back was answered.
    assert {status for _, _, status in after} == {200}
    # What failed is what overlapped the busy restart, and nothing else.
    failed = [a for a in readers.answers if a[2] != 200]
    assert all(
        started < back and finished > busy_restart for started, finished, _ in failed
    )
    # No worker was restarted to get there.
    assert master.poll() is None
    assert _workers(master) == workers_before
