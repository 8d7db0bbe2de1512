"""Peyvand: an open-source CRM for Persian-speaking businesses."""
