"""Tests for the server-side session store."""

import time
import unittest
from unittest import mock

from accounts.sessions import SessionExpired, SessionStore


class TestSessionStore(unittest.TestCase):
    def setUp(self):
        self.store = SessionStore(ttl=60)

    def test_create_returns_unique_ids(self):
        first = self.store.create(user_id=1)
        second = self.store.create(user_id=1)
        self.assertNotEqual(first, second)

    def test_load_returns_payload(self):
        session_id = self.store.create(user_id=7, data={"cart": [3, 4]})
        session = self.store.load(session_id)
        self.assertEqual(session.user_id, 7)
        self.assertEqual(session.data, {"cart": [3, 4]})
        self.assertFalse(session.is_expired)

    def test_expired_session_raises(self):
        session_id = self.store.create(user_id=7)
        with mock.patch("accounts.sessions.time.time", return_value=time.time() + 120):
            with self.assertRaises(SessionExpired):
                self.store.load(session_id)

    def test_touch_extends_expiry(self):
        session_id = self.store.create(user_id=7)
        before = self.store.load(session_id).expires_at
        self.store.touch(session_id)
        after = self.store.load(session_id).expires_at
        self.assertGreaterEqual(after, before)

    def test_delete_removes_session(self):
        session_id = self.store.create(user_id=7)
        self.store.delete(session_id)
        self.assertIsNone(self.store.get(session_id))

    def test_legacy_cookie_format_is_upgraded(self):
        legacy_id = "v1:" + "a" * 32
        self.store.import_legacy(legacy_id, user_id=9)
        upgraded = self.store.load(legacy_id)
        self.assertEqual(upgraded.user_id, 9)


if __name__ == "__main__":
    unittest.main()
