"""Customers, credit accounts, vouchers and store credit."""
