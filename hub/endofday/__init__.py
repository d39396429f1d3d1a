"""End of day: the steps a manager walks through to close the store's trading day, with the state of each."""
