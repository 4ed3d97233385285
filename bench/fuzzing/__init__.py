"""Raw-HTTP fuzzing, shared by ``make fuzz`` (``python -m bench.fuzzing``) and tests/serving/test_fuzz.py.

Clients such as requests refuse to send broken framing and hide what a server
answered before dropping a connection; these modules speak bytes over a
loopback socket instead, so every answer (or its absence) can be judged.
From the bottom up:

- ``payloads``: what goes inside parts, images and field values, good, odd and broken;
- ``multipart``: multipart/form-data bodies, well made and broken as real clients break them;
- ``http_strategies``: hypothesis strategies for whole raw HTTP/1.1 requests, as bytes;
- ``wire``: one exchange over a loopback socket (``RawExchange``) and a parser for what came back;
- ``checks``: how an answer is judged (answered, below 500, the API's error shape);
- ``campaign``: batches drawn and sent outside pytest, counted by status and family;
- ``__main__``: ``python -m bench.fuzzing``, a campaign against a fresh gunicorn mock.
"""
