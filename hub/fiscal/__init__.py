"""ZIMRA fiscalisation: the hub as the store's fiscal device gateway (../shared/fiscal/ZIMRA-FDMS.md)."""
