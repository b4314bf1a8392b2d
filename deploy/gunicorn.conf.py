"""gunicorn settings for peerwork's web process.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

Everything a host may want to change comes from the environment:

- PEERWORK_BIND: address to listen on (default 0.0.0.0:8000; the proxy connects here).
- WEB_CONCURRENCY: worker processes (default: 2 per CPU + 1, at most 8).
- PEERWORK_THREADS: threads per worker (default 4; the peer pages poll every few seconds).
- FORWARDED_ALLOW_IPS: addresses of the proxies gunicorn trusts for X-Forwarded-Proto
  (default 127.0.0.1). The app itself trusts X-Forwarded-For/-Proto/-Host from exactly
  PEERWORK_PROXY_HOPS proxies (werkzeug's ProxyFix): set both for the same proxies, so the
  client address (login rate limits) and the https URL (Twilio signatures) are the real ones.

Load balancer health checks: probe GET /readyz (200 when the database and Redis answer,
503 otherwise; JSON, no sign-in) to take a host out of rotation, and GET /healthz
(process alive, touches nothing) to decide whether to restart it. For example, nginx
upstream or an AWS target group: path /readyz, interval 10s, timeout 3s, unhealthy after 3.
"""

import multiprocessing
import os

bind = os.environ.get("PEERWORK_BIND", "0.0.0.0:8000")  # noqa: S104 - behind the proxy
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "gthread"
threads = int(os.environ.get("PEERWORK_THREADS", "4"))

# A webhook answers in milliseconds; nothing legitimate takes 30 seconds.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (with jitter so they do not all restart together).
max_requests = 2000
max_requests_jitter = 200

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The access log names the path only (%(U)s, no query string) and no referrer or user
# agent: query strings and referrers can carry filters and tokens, and peerwork never
# logs anything that could identify a texter.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PEERWORK_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

# Heartbeat files on a RAM disk where there is one (slow disks make workers look hung).
RAM_DISK = "/dev/shm"  # noqa: S108 - gunicorn's documented choice, not a temp file
if os.path.isdir(RAM_DISK):
    worker_tmp_dir = RAM_DISK

# Ask clients for small requests: forms and webhooks are tiny.
limit_request_line = 8190
limit_request_fields = 100


def post_worker_init(worker):
    """Store what a web process that died left in this host's local spool (the database and
    Redis were both down when it answered those texts); see peerwork/texter/outage.py."""
    # Imported here: the master reads this file before the app exists, and the tests of this
    # file read its settings without the app.
    from peerwork.texter import outage

    if hasattr(worker.wsgi, "instance_path"):
        outage.ingest_in_background(worker.wsgi)
