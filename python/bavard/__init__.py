"""Bavard's Python side: the WSGI launcher (``bavard.wsgi``) that runs the ``bavard`` binary
behind hosts that only serve Python web apps. The chat server itself is the binary."""
