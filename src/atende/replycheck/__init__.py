"""The reply check's lists (admin-editable, cached per process) and its use cases; the check
itself is pure: atende/domain/replycheck.py (docs/reply-check.md)."""
