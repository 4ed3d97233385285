"""Raw-HTTP fuzzing, shared by ``make fuzz`` (``python -m bench.fuzzing``) and tests/test_fuzz.py.

Clients such as requests refuse to send broken framing and hide what a server
answered before dropping a connection; these modules speak bytes over a
loopback socket instead, so every answer (or its absence) can be judged.
"""
