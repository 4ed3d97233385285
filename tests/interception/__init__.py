"""The local CA and the intercepting proxy, with real clients in several languages."""
