"""Gunicorn settings for the tracker; port and sizes come from the environment."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Threads serve the many small reads of a content site; one process per core
# plus one keeps a core busy while another waits on the database.
worker_class = "gthread"
# process_cpu_count() (3.13+) counts only the CPUs this process may use.
_cpus = getattr(os, "process_cpu_count", os.cpu_count)() or 1
# An empty variable (as Compose passes an unset one) means the default.
workers = int(os.environ.get("WEB_CONCURRENCY") or _cpus + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
# gthread parks idle keep-alive connections in the worker's poller rather
# than in a thread, so slow or idle clients cannot tie up the threads.
keepalive = 5

# Recycle workers now and then so a slow leak never grows large; rarely,
# since a restarting worker drops its keep-alive connections and stalls the
# requests queued on them (every few seconds at 1,000 under a spike).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 50_000)
max_requests_jitter = max_requests // 10

# Docker's /tmp may sit on disk; the heartbeat file belongs in memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
# The default format, plus the client's address as the proxy reports it.
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s '
    '"%(f)s" "%(a)s" %(M)sms'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Trust X-Forwarded-* only from the proxy in front, when there is one.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
