"""The stores (memory, SQLite, Redis) behind one interface, their bounds, and redaction of their URLs."""
