"""gunicorn's settings for the web process: `gunicorn portal.wsgi --config
python:portal.gunicorn_conf` (Procfile, docker-compose.yml and the Dockerfile alike).

The access log names each request by its path alone. The query string is left out, and
so is the Referer (a whole URL): either can carry what no log may keep, such as a token
pasted into a URL or a search someone typed.
"""

# gunicorn's atoms: h client address, t time, m method, U path without the query string,
# H protocol, s status, b bytes sent, M duration in milliseconds, a user agent.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
