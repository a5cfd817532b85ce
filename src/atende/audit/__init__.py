"""The configuration audit trail (docs/audit.md): every create, update and delete of a
configuration record (SLA policies, rules, calendars, queues, users, plans, organizations,
webhook subscriptions, API tokens, pause reasons, ticket types, canned replies) records who,
when, which record and its changed fields, in the transaction of the change.

The services' commands call :mod:`atende.audit.record`; admins read the trail through
:mod:`atende.audit.service` (``GET /api/v1/audit``)."""
