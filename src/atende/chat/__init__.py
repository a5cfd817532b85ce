"""Live chat (#18): website widgets, visitors, chats (each one a ticket on channel ``chat``),
and the front-door bot's flows (docs/chat.md)."""
