"""gunicorn settings for ``kefu serve`` / ``make run`` (gunicorn -c kefu/gunicorn.conf.py).

Static files are served by WhiteNoise from inside the app, so gunicorn needs no
front server for a small site; behind a reverse proxy keep the bind on 127.0.0.1.
"""

import os

wsgi_app = "kefu.wsgi:application"
bind = [f"{os.environ.get('KEFU_HOST', '127.0.0.1')}:{os.environ.get('KEFU_PORT', '8000')}"]
workers = int(os.environ.get("KEFU_WEB_WORKERS", "2"))
# One thread per worker by default: requests are CPU-bound Python, and threads of one
# process only take turns on its interpreter lock (docs/configuration.md). More threads
# let a slow request (an Excel export, an upload) not hold a whole worker.
worker_class = "gthread"
threads = int(os.environ.get("KEFU_WEB_THREADS", "1"))
timeout = 60
graceful_timeout = 20
# The peer (the proxy, behind one) and the X-Forwarded-For it passed on, as received.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
# Each worker loads the app itself, so a worker restart picks up nothing stale.
preload_app = False
# No control socket in ~/.gunicorn: two instances (two ports, a test) would share its path.
control_socket_disable = True
