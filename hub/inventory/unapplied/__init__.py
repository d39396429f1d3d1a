"""Inventory documents from devices that could not be applied, kept in a queue with resolve actions."""
