"""Scheduled work on a ticket (seed 002): Field Desk visits (a technician on site, within a
window, included in the plan or paid with its discount and accepted by the customer) and
appointments (training, certificate installation: booked instead of done during the call)."""
