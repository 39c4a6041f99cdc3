"""Quotes, sales orders, invoices, projects, opportunities and items as one graph over both
systems: each document merged with its coupled counterpart, read in batches."""
