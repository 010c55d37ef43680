"""The Prometheus endpoint `/metrics` and what it exports (docs/operations.md).

- `multiprocess`: prometheus-client's multiprocess mode, set up by every process of the
  portal (web, Celery workers, commands) so that counters and histograms observed in a
  worker reach the web process that answers the scrape;
- `creation`: the account creation duration histogram, observed where the portal sees a
  creation succeed;
- `collectors`: gauges read from the database and the broker at scrape time;
- `access`, `views`: who may scrape, and the endpoint.

Organizations calls are counted where the calls are made, in `vending.aws.call_metrics`.
Nothing here writes to the portal's records.
"""
