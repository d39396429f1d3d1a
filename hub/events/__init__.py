"""The event stream (WebSocket /api/v1/events): scans, print-job status, sync and device alerts."""
