"""In-app notifications for staff (SLA warnings and breaches, rule notices), with e-mail copies."""
