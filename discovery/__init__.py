"""mDNS: advertising the hub (`_soko-hub._tcp`), browsing for network printers, and the till-side
resolver. Never imports hub internals: the hub passes in what it needs (DESIGN.md section 2).

    HubAdvertiser(HubAdvert(...), "lan", on_printers=...)   discovery.advertise
    PrinterBrowser(on_change)                               discovery.browse
    HubResolver(pin=..., configured=...).resolve()          discovery.resolver
"""
