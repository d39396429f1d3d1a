"""Till synchronisation (DESIGN.md section 4): the reference-data feed down to tills and the facts they upload."""
