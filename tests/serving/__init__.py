"""The engine: real gunicorn processes, framing, slow clients, access log, start-up, fuzz and soak."""
