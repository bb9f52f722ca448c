"""gunicorn settings for production; every value can be overridden by the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Chosen by bench/load.py on 2 cores (16 connections, cached pages and lists):
# threads keep connections alive and overlap a request's wait on PostgreSQL or
# Redis with another's Python. 2 sync workers answered 115 requests/s, 4 sync
# 87, 5 x 2 threads 193, 4 x 4 237, 2 x 8 346 and 3 x 4 352 (p95 150 ms): a worker per
# core and one more, four threads each.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Off by default: the proxy in front logs every request, and gunicorn's log
# line cost 30% of Django's smallest response (bench/serve.py). GUNICORN_ACCESS_LOG=-
# writes it to stdout.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
