"""Offline sync: the outbox push, pull and blob endpoints, merge rules and receipts."""
