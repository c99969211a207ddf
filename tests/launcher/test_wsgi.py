"""Unit tests of the launcher's rules that a WSGI server cannot be made to show: run by
`tests/it/launcher.rs` (`python3 -m unittest`)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

from bavard import wsgi  # noqa: E402


class BodyLength(unittest.TestCase):
    def length(self, method, **environ):
        return wsgi._body_length(dict(environ, REQUEST_METHOD=method))

    def test_a_given_length_is_read_exactly(self):
        self.assertEqual(self.length("POST", CONTENT_LENGTH="5242880"), 5242880)
        self.assertEqual(self.length("POST", CONTENT_LENGTH=" 12 "), 12)

    def test_no_length_means_no_body_unless_the_server_says_the_input_ends(self):
        # Passenger sends an empty POST with no CONTENT_LENGTH; reading it to its end would
        # block for ever.
        self.assertEqual(self.length("POST"), 0)
        self.assertIsNone(self.length("POST", **{"wsgi.input_terminated": True}))
        self.assertEqual(self.length("GET", **{"wsgi.input_terminated": True}), 0)

    def test_a_nonsense_length_sends_nothing(self):
        self.assertEqual(self.length("POST", CONTENT_LENGTH="lots"), 0)
        self.assertEqual(self.length("POST", CONTENT_LENGTH="-3"), 0)


class Forwarding(unittest.TestCase):
    def test_the_clients_forwarding_headers_are_replaced(self):
        headers = dict(
            wsgi._request_headers(
                {
                    "HTTP_X_FORWARDED_FOR": "203.0.113.9",
                    "HTTP_FORWARDED": "for=203.0.113.9",
                    "HTTP_CONNECTION": "keep-alive",
                    "HTTP_EXPECT": "100-continue",
                    "HTTP_HOST": "chat.example.org",
                    "HTTPS": "on",
                    "REMOTE_ADDR": "198.51.100.4",
                    "wsgi.url_scheme": "http",
                }
            )
        )
        self.assertEqual(headers["X-Forwarded-For"], "198.51.100.4")
        self.assertEqual(headers["X-Forwarded-Proto"], "https")
        self.assertEqual(headers["Host"], "chat.example.org")
        for dropped in ("Forwarded", "Connection", "Expect"):
            self.assertNotIn(dropped, headers)


if __name__ == "__main__":
    unittest.main()
