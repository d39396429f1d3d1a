"""Shifts and cash: floats, pay-ins, pay-outs, safe drops, X reports, counted close."""
