"""Automation rules: data-driven actions on ticket events (see docs/rules.md)."""
