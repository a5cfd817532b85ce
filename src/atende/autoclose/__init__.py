"""Auto-close: a reactor of the settle loop (resolved tickets close after N business hours)."""
