"""Transports: bind real connections (TCP now; TLS and WebSocket later) to the core."""
