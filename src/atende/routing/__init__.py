"""Routing: agent presence, capacity, assignment modes, the queue line, transfers and
followers, vacation handover, on-call review (docs/routing.md)."""
