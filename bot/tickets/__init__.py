"""Tickets: rules for priority and deadlines, and the ticket store."""
