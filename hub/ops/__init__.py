"""Operations: scheduled verified backups, doctor, support bundle, clock and power, updates."""
