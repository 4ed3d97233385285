"""Robustness tooling: raw-HTTP fuzzing, server process inspection, shared by tests and bench/.

Clients such as requests refuse to send broken framing and hide what a server
answered before dropping a connection; these modules speak bytes over a
loopback socket instead, so every answer (or its absence) can be judged.
"""
