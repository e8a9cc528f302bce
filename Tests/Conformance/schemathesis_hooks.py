"""Hooks for the schemathesis run in Tests/EndToEndTests/APIConformanceTests.swift.

schemathesis sometimes adds HTTP framing headers (Content-Length,
Transfer-Encoding, Host, Connection) with made-up values. Such a request is
not HTTP/1.1 at all: the HTTP layer (Hummingbird) answers 400 with no body
and closes the connection, as RFC 9112 section 6.3 asks, before any route
runs. Those cases say nothing about the API, so they are left out.
"""
import schemathesis

FRAMING = {"content-length", "transfer-encoding", "host", "connection", "te", "upgrade", "trailer"}


@schemathesis.hook
def filter_headers(ctx, headers):
    return headers is None or not any(name.lower() in FRAMING for name in headers)
