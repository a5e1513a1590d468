#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A second, independent sender of the NIC=1 frame stream (README, "The VM
harness"), for NIC_SENDER: the tests must accept any sender that follows the
frame contract, not only build/nic_sender.  This one differs from it where
the contract leaves room: it starts at 2**40 + 12345, sends 64-byte frames
and another source MAC.  Paced at NIC_FPS frames a second, until SIGTERM.
"""
import os
import signal
import socket
import struct
import sys
import time

port = int(os.environ["NIC_PORT"])
fps = int(os.environ.get("NIC_FPS", "500"))
if not 1 <= fps <= 100000:
    sys.exit(f"nic_sender.py: NIC_FPS={fps}: want 1 to 100000")

stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
head = b"\xff" * 6 + bytes.fromhex("0a00005eed64") + struct.pack(">H", 0x88B5)
seq = first = 2**40 + 12345
period = 1.0 / fps
due = time.monotonic()
while not stop:
    frame = head + struct.pack("<Q", seq)
    sock.sendto(frame + bytes(64 - len(frame)), ("127.0.0.1", port))
    seq += 1
    due += period
    now = time.monotonic()
    if now - due > 0.01:  # behind: go on from now, no burst
        due = now
    elif due > now:
        time.sleep(due - now)
print(f"nic_sender.py: sent {seq - first} frames, {first} to {seq - 1}, "
      f"to 127.0.0.1:{port} at {fps}/s")
