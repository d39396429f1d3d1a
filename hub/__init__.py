"""Soko Hub: the store's local API, storage, portal and gateways."""

__version__ = "0.1.0"
