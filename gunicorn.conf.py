"""gunicorn settings for Charter: ``gunicorn --paste production.ini`` reads this file from the
working directory (or give it with ``-c gunicorn.conf.py``).

gunicorn ignores the ini's ``[server:main]`` (waitress's, which ``pserve``
uses); it applies the ini's logging sections. Every value here can be
overridden on the command line or through the environment variables below.
See docs/deployment.md.
"""

import multiprocessing
import os
import shutil
import tempfile

# Loopback by default: nginx (or another proxy) in front, on this machine.
bind = os.environ.get("CHARTER_BIND", "127.0.0.1:6543").split()

# gthread: each worker process serves `threads` requests at once. Charter's
# requests wait on the database more than they compute, so threads pay; more
# processes use more cores. One worker per core is a good start; keep
# threads <= charter.db.pool_size + charter.db.max_overflow.
worker_class = "gthread"
workers = int(os.environ.get("CHARTER_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("CHARTER_THREADS", "8"))

# A request taking longer than this is killed with its worker: large uploads
# are buffered by nginx first, so this only bounds Charter's own work.
timeout = int(os.environ.get("CHARTER_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so a slow leak never grows for weeks.
max_requests = 10000
max_requests_jitter = 1000

# Charter reads X-Forwarded-For/-Proto and X-Request-ID itself, from the
# addresses in charter.proxy.trusted; gunicorn should believe the same ones.
forwarded_allow_ips = os.environ.get("CHARTER_TRUSTED_PROXIES", "127.0.0.1,::1")

# Metrics from every worker: prometheus-client writes each worker's values to
# files in this folder and /metrics adds them up (charter.metrics.enabled).
# Set here, in the master, before any worker imports prometheus-client.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "charter-prometheus")
)


def on_starting(server):
    """Empty the metrics folder: values of an earlier run must not add up with this one's."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    """Forget the live gauges (requests in flight, pool use) of a worker that ended."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
