"""The catalogue: reference data every till downloads and every sale prices against."""
