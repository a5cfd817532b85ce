"""Reports: the service metrics written as facts when things happen, and the reports read from
them (docs/metrics.md, docs/reports.md)."""
