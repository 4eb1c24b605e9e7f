"""Local stand-ins for the real services rlx talks to, used by the demo, tests and benchmarks.

``rlx_lib.local.s3`` serves Crypto Lake's bucket layout over the S3 protocol (a ``moto`` server
on 127.0.0.1) so ``lakeapi`` runs for real; ``rlx_lib.local.binance`` speaks Binance's
WebSocket and REST protocol, with disconnects and faults on demand. No stage imports them.
"""
