"""The wire protocol spoken by hand: handshake, errors for bad input, the
read-only socket, keepalive, and that one bad client never hurts another."""
import socket
import struct
import time
import unittest

from harness import (ASYNC, CALL, DaemonTestCase, Error, KEEPALIVE_PROG, OK, REMOTE_PROG,
                     REPLY, SOCK, SOCK_ADMIN, SOCK_RO, STREAM, Wire, packet, xdr_opt_string,
                     xdr_string)

API_LEVEL = 9000000


class Handshake(DaemonTestCase):
    def test_handshake_and_lib_version(self):
        w = Wire()
        types = w.call("AUTH_LIST")
        self.assertEqual(struct.unpack(">II", types), (1, 0))   # [AUTH_NONE]
        self.assertEqual(w.call("CONNECT_SUPPORTS_FEATURE", struct.pack(">i", 10)),
                         struct.pack(">i", 1))
        w.call("CONNECT_OPEN", xdr_opt_string("qemu:///system") + struct.pack(">I", 0))
        self.assertEqual(w.lib_version(), API_LEVEL)
        w.call("CONNECT_CLOSE")
        w.close()

    def test_default_uri_when_none_given(self):
        w = Wire()
        w.call("CONNECT_OPEN", xdr_opt_string(None) + struct.pack(">I", 0))
        body = w.call(110)      # CONNECT_GET_URI
        self.assertEqual(body, xdr_string("qemu:///system"))

    def test_second_open_refused(self):
        w = Wire().open()
        with self.assertRaises(Error) as e:
            w.call("CONNECT_OPEN", xdr_opt_string("qemu:///system") + struct.pack(">I", 0))
        self.assertEqual(e.exception.code, 1)
        self.assertIn("already open", e.exception.message)
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_unknown_driver_uri(self):
        w = Wire()
        with self.assertRaises(Error) as e:
            w.call("CONNECT_OPEN", xdr_opt_string("xen:///system") + struct.pack(">I", 0))
        self.assertEqual(e.exception.code, 5)       # VIR_ERR_NO_CONNECT
        self.assertIn("xen:///system", e.exception.message)

    def test_bad_uri_path(self):
        w = Wire()
        with self.assertRaises(Error) as e:
            w.call("CONNECT_OPEN", xdr_opt_string("qemu:///bogus") + struct.pack(">I", 0))
        self.assertIn("unexpected qemu URI path '/bogus'", e.exception.message)


class BadInput(DaemonTestCase):
    def assert_still_serving(self):
        w = Wire().open()
        self.assertEqual(w.lib_version(), API_LEVEL)
        w.close()

    def test_call_before_open(self):
        w = Wire()
        with self.assertRaises(Error) as e:
            w.call("CONNECT_GET_HOSTNAME")
        self.assertEqual(e.exception.code, 1)
        self.assertIn("connection not open", e.exception.message)
        w.open()
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_unknown_procedure(self):
        w = Wire().open()
        for proc in (9999, 0, -5, 57):
            with self.assertRaises(Error) as e:
                w.call(proc)
            self.assertEqual(e.exception.code, 39)          # VIR_ERR_RPC
            self.assertEqual(e.exception.domain, 7)         # VIR_FROM_RPC
            self.assertEqual(e.exception.message, f"unknown procedure: {proc}")
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_unknown_program_and_version(self):
        w = Wire().open()
        with self.assertRaises(Error) as e:
            w.call(1, prog=0x12345678)
        self.assertEqual(e.exception.code, 39)
        self.assertIn("cannot find program", e.exception.message)
        with self.assertRaises(Error) as e:
            w.call(157, vers=2)
        self.assertIn("version 2", e.exception.message)
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_truncated_and_garbage_arguments(self):
        w = Wire()
        # CONNECT_OPEN whose optional string says 1000 bytes follow, then stops
        with self.assertRaises(Error) as e:
            w.call("CONNECT_OPEN", struct.pack(">II", 1, 1000) + b"qemu")
        self.assertEqual(e.exception.code, 39)
        self.assertIn("cannot decode", e.exception.message)
        # a body where none is expected
        with self.assertRaises(Error):
            w.call("AUTH_LIST", b"\0\0\0\0")
        w.open()
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_call_with_error_status_and_wrong_types(self):
        w = Wire().open()
        for kw in ({"status": 1}, {"mtype": REPLY}, {"mtype": STREAM}, {"mtype": 4}):
            with self.assertRaises(Error):
                w.call("CONNECT_GET_LIB_VERSION", **kw)
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_oversized_packet_closes_only_that_client(self):
        good = Wire().open()
        bad = Wire()
        bad.send(struct.pack(">I", 33554432 + 1) + b"\0" * 24)
        with self.assertRaises((EOFError, ConnectionResetError)):
            bad.recv_packet()
        self.assertEqual(good.lib_version(), API_LEVEL)
        self.assert_still_serving()

    def test_undersized_length_closes(self):
        bad = Wire()
        bad.send(struct.pack(">I", 8) + b"\0" * 4)
        with self.assertRaises((EOFError, ConnectionResetError)):
            bad.recv_packet()
        self.assert_still_serving()

    def test_large_but_legal_packet_is_read(self):
        # 1 MiB of padding after a valid call: decoded, refused, connection kept
        w = Wire().open()
        with self.assertRaises(Error) as e:
            w.call("CONNECT_GET_LIB_VERSION", b"\0" * (1 << 20))
        self.assertIn("cannot decode", e.exception.message)
        self.assertEqual(w.lib_version(), API_LEVEL)

    def test_half_packet_then_hangup(self):
        bad = Wire()
        bad.send(packet(REMOTE_PROG, 157)[:20])
        bad.close()
        self.assert_still_serving()

    def test_garbage_stream_does_not_hurt_others(self):
        good = Wire().open()
        bad = Wire()
        bad.send(bytes(range(256)) * 64)
        try:
            while True:
                bad.recv_packet()
        except (EOFError, ConnectionResetError, socket.timeout):
            pass
        self.assertEqual(good.lib_version(), API_LEVEL)

    def test_pipelined_calls_all_answered(self):
        # More calls at once than max_client_requests (5): the daemon stops
        # reading until earlier calls finish, and answers every one.
        w = Wire().open()
        n = 40
        data = b"".join(packet(REMOTE_PROG, proc, serial=100 + i)
                        for i, proc in enumerate([4, 157] * (n // 2)))
        w.send(data)
        serials = set()
        for _ in range(n):
            p = w.recv_reply()
            self.assertEqual(p["status"], OK, p)
            serials.add(p["serial"])
        self.assertEqual(serials, set(range(100, 100 + n)))


class ReadOnlyAndAdmin(DaemonTestCase):
    def test_read_only_socket_refuses_writes(self):
        w = Wire(SOCK_RO).open()
        self.assertEqual(w.lib_version(), API_LEVEL)
        with self.assertRaises(Error) as e:
            w.call("CONNECT_SET_IDENTITY", struct.pack(">II", 0, 0))
        self.assertEqual(e.exception.code, 29)          # VIR_ERR_OPERATION_DENIED
        self.assertEqual(e.exception.message,
                         "operation forbidden: read only access prevents virConnectSetIdentity")

    def test_read_only_flag_on_rw_socket(self):
        w = Wire().open(flags=1)
        with self.assertRaises(Error) as e:
            w.call("CONNECT_SET_IDENTITY", struct.pack(">II", 0, 0))
        self.assertEqual(e.exception.code, 29)

    def test_set_identity_by_root_on_rw(self):
        w = Wire().open()
        body = (struct.pack(">I", 1) + xdr_string("unix-user-id") + struct.pack(">iQ", 4, 1000)
                + struct.pack(">I", 0))
        w.call("CONNECT_SET_IDENTITY", body)
        bad = (struct.pack(">I", 1) + xdr_string("no-such-key") + struct.pack(">iQ", 4, 1)
               + struct.pack(">I", 0))
        with self.assertRaises(Error) as e:
            w.call("CONNECT_SET_IDENTITY", bad)
        self.assertEqual(e.exception.code, 8)
        self.assertIn("no-such-key", e.exception.message)

    def test_admin_socket_serves_no_remote_program(self):
        w = Wire(SOCK_ADMIN)
        with self.assertRaises(Error) as e:
            w.call("AUTH_LIST")
        self.assertIn("cannot find program", e.exception.message)


class Keepalive(DaemonTestCase):
    daemon_config = "keepalive_interval = 1\nkeepalive_count = 2\n"

    def test_ping_answered_with_pong(self):
        w = Wire().open()
        w.send(packet(KEEPALIVE_PROG, 1, serial=0, mtype=ASYNC))
        p = w.recv_packet()
        while p["prog"] == KEEPALIVE_PROG and p["proc"] == 1:   # the daemon's own ping
            p = w.recv_packet()
        self.assertEqual((p["prog"], p["proc"], p["type"]), (KEEPALIVE_PROG, 2, ASYNC))

    def test_daemon_pings_and_drops_a_dead_client(self):
        w = Wire(answer_pings=False).open()
        pings = 0
        with self.assertRaises((EOFError, ConnectionResetError)):
            while True:
                p = w.recv_packet()
                if p["prog"] == KEEPALIVE_PROG and p["proc"] == 1:
                    pings += 1
        self.assertEqual(pings, 2)
        # Whoever served the connection (virtproxyd hands local clients to
        # virtqemud) says why it dropped it.
        logs = self.daemon.output() + (self.proxy.output() if self.proxy else "")
        self.assertIn("keepalive timeout", logs)

    def test_answering_client_stays(self):
        # Silent for longer than interval * (count + 1), but answering the
        # daemon's pings as a client's event loop does.
        w = Wire().open()
        w.sock.settimeout(0.2)
        end = time.monotonic() + 4
        while time.monotonic() < end:
            try:
                w.recv_reply()
            except socket.timeout:
                pass
        w.sock.settimeout(30)
        self.assertGreaterEqual(w.pings, 2)
        self.assertEqual(w.lib_version(), API_LEVEL)


if __name__ == "__main__":
    unittest.main()
