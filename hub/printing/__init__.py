"""Receipt and label printing: rendering, durable print jobs, the cash drawer and the peripherals page."""
