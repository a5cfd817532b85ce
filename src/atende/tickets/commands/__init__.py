"""The commands of the tickets area: each changes tickets, writes their timeline and returns
what it changed (``tickets.events.Changed``) for the settle loop; none imports a reacting area.

- ``create``: a new ticket (and an imported one, with ``history``);
- ``message``: a reply, an internal note, a message from the contact;
- ``change``: field changes, transfer, assignment;
- ``links``: split, merge, follow-up.
"""
