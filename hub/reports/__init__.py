"""The dashboard and the reports: every money figure per currency."""
