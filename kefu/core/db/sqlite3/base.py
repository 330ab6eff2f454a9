"""Django's SQLite backend with writers queued on a file lock instead of SQLite's busy loop.

Every transaction starts with ``BEGIN IMMEDIATE`` (settings), so two writers
never deadlock; but a writer that finds the database locked waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10, 15 ... ms between tries. Under a burst
of writes (an intake robot, the deadline sweep beside the web workers) the
lock then sits free while the waiters sleep. Here each connection first takes
an exclusive ``flock`` on ``<database>-writer.lock``: the kernel wakes the next
writer the moment the previous one commits or rolls back. SQLite's own lock
and busy timeout stay underneath for any process that does not use this
backend (the ``sqlite3`` shell, a backup tool). Readers are not involved: in
WAL mode they never wait for a writer.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writing = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            # One open file per connection: flock excludes other open files, so
            # threads of one process queue as well as processes do.
            self._writer_fd = os.open(
                f"{self.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
        return conn

    def _start_transaction_under_autocommit(self):
        if self._writer_fd is not None and not self._writing:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
            self._writing = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _set_autocommit(self, autocommit):
        super()._set_autocommit(autocommit)
        if autocommit:  # the end of an atomic block: committed or rolled back
            self._release_writer()

    def _close(self):
        try:
            super()._close()
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None

    def _release_writer(self):
        if self._writing:
            self._writing = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
