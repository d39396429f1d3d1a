"""The reference till: a till client that speaks only HTTP to the hub (the executable
specification of the sync protocol for the till app). It imports nothing from `hub`."""
