"""Events leave after commit: the live stream and the webhooks admins subscribe to.

Every ticket change the settle loop (``workflows/settle.py``) settles is written as one row of
``stream_events`` in the change's own transaction (``publish.Publisher``): it exists if and only
if the change commits. Readers take the rows in ``position`` order, which is the commit order on
both databases (decision 0013): the live stream ``GET /api/v1/stream`` (``hub.Hub``, one per
server process, woken after commit in-process, by PostgreSQL ``NOTIFY`` across processes, by
polling on SQLite) and the worker's webhook fan-out (``webhooks.fan_out``), which enqueues one
``notify.webhook`` job per subscription and event.
"""
