"""Receipt and label printers: connectors (how bytes get there) x profiles (what the model can do)."""

from drivers.printers.connectors import (AddressError, PrinterError, PrinterUnavailableError, connector, parse,
                                         send)
from drivers.printers.profiles import DEFAULT_PROFILE, PROFILES, Profile, profile
from drivers.printers.status import PrinterStatus

__all__ = ["AddressError", "DEFAULT_PROFILE", "PROFILES", "PrinterError", "PrinterStatus",
           "PrinterUnavailableError", "Profile", "connector", "parse", "profile", "send"]
