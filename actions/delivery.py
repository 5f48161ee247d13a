"""Delivering one run's messages through segment-analytics-python, with exact counts.

The library's Client drops messages when its queue is full and reports failed
batches only through a callback. Here each run gets its own bounded queue that
the run blocks on (back pressure), the library's Consumer threads drain it
(batching, gzip, retries), and every batch is counted: accepted on success,
failed with a reason through `on_error`. Nothing is left uncounted.
"""

import gzip
import logging
import queue
import threading
import time
from collections import Counter
from functools import partial

import requests
from segment.analytics import request as segment_request
from segment.analytics.consumer import BATCH_SIZE_LIMIT, Consumer
from segment.analytics.request import APIError

from action_hub.report import Reason

log = logging.getLogger(__name__)

# The library gzips each batch at zlib's slowest level (9), which here costs more
# CPU than building the messages; level 6 is about five times faster for
# batches a few percent larger.
GZIP_LEVEL = 6
segment_request.GzipFile = partial(gzip.GzipFile, compresslevel=GZIP_LEVEL)

MAX_MESSAGE_BYTES = 32 * 1024
# The library closes a batch at about 475 KB (Segment's limit is 500 KB) or at
# this many messages, whichever comes first; this is high enough that size wins.
BATCH_MESSAGES = 2500
QUEUE_MESSAGES = 5000
# After this many batches in a row fail, Segment is taken to be down and the
# run stops instead of retrying every remaining batch.
FAILED_BATCHES_BEFORE_STOP = 3

WRITE_KEY_REJECTED = Reason(
    "write_key_rejected",
    "Segment rejected the write key; check it in the action's settings",
)
UNREACHABLE = Reason("segment_unreachable", "the hub could not reach Segment")
TIMED_OUT = Reason("segment_timeout", "Segment did not answer in time")
RATE_LIMITED = Reason(
    "rate_limited", "Segment kept rate-limiting the hub (HTTP 429) past the retry limit"
)
BATCH_TOO_LARGE = Reason(
    "batch_too_large", "Segment refused a batch as too large (HTTP 413)"
)
NOT_SENT = Reason("not_sent", "not sent because delivery had stopped")
LOST = Reason("upload_stopped", "the upload threads stopped before sending them")


class Message(dict):
    """A message with its serialized size in bytes, measured once when built."""

    __slots__ = ("size",)

    def __init__(self, fields, size):
        super().__init__(fields)
        self.size = size


def reason_for(error):
    """Turn a delivery error from the library into a counted, readable reason."""
    if isinstance(error, APIError):
        status = error.status
        if status in (401, 403):
            return WRITE_KEY_REJECTED
        if status == 413:
            return BATCH_TOO_LARGE
        if status == 429:
            return RATE_LIMITED
        if status == 400:
            return Reason(
                "rejected_invalid", "Segment rejected the batch as invalid (HTTP 400)"
            )
        if status in (501, 505):
            return Reason(
                f"segment_http_{status}",
                f"Segment answered HTTP {status}, which is not retried",
            )
        if isinstance(status, int) and status >= 500:
            return Reason(
                f"segment_http_{status}",
                f"Segment kept answering HTTP {status} after retrying",
            )
        return Reason(
            f"rejected_http_{status}", f"Segment refused the batch (HTTP {status})"
        )
    if isinstance(error, requests.Timeout):
        return TIMED_OUT
    if isinstance(error, requests.ConnectionError):
        return UNREACHABLE
    text = str(error).lower().replace("-", " ")
    if "rate limit" in text:
        return RATE_LIMITED
    return Reason(
        "upload_error", f"the upload to Segment failed ({type(error).__name__})"
    )


class _CountingConsumer(Consumer):
    """The library's consumer, reporting each accepted batch's size.

    Batching reads each Message's size instead of serializing it again: that
    second serialization cost as much CPU as building the message.
    """

    def __init__(self, *args, on_accepted, **kwargs):
        super().__init__(*args, **kwargs)
        self._on_accepted = on_accepted

    def next(self):
        """Up to upload_size messages, closing before BATCH_SIZE_LIMIT bytes."""
        batch = []
        total = 0
        started = time.monotonic()
        while len(batch) < self.upload_size:
            waited = time.monotonic() - started
            if waited >= self.upload_interval:
                break
            try:
                message = self.queue.get(timeout=self.upload_interval - waited)
            except queue.Empty:
                break
            batch.append(message)
            total += message.size
            if total >= BATCH_SIZE_LIMIT:
                break
        return batch

    def request(self, batch):
        response = super().request(batch)
        self._on_accepted(len(batch))
        return response


class SegmentDelivery:
    """A run's connection to Segment: send() blocks when Segment falls behind.

    The queue holds at most `queue_size` messages from the run plus room for
    every upload thread to put a whole batch back: the library re-queues a
    rate-limited batch without waiting, and drops what does not fit.
    """

    def __init__(
        self,
        write_key,
        host,
        *,
        threads=2,
        timeout=15.0,
        max_retries=6,
        upload_interval=0.1,
        queue_size=QUEUE_MESSAGES,
    ):
        threads = max(1, threads)
        self._room = threading.Semaphore(queue_size)
        self._queue = queue.Queue(queue_size + threads * BATCH_MESSAGES)
        self._lock = threading.Lock()
        self.enqueued = 0
        self.accepted = 0
        self.failed = Counter()
        self.stop_reason = None
        self._failures_in_a_row = 0
        self._consumers = [
            _CountingConsumer(
                self._queue,
                write_key,
                host=host,
                on_error=self._on_error,
                upload_size=BATCH_MESSAGES,
                upload_interval=upload_interval,
                gzip=True,
                retries=max_retries,
                timeout=timeout,
                max_total_backoff_duration=max(60.0, 8 * timeout),
                max_rate_limit_duration=300.0,
                on_accepted=self._on_accepted,
            )
            for _ in range(threads)
        ]
        for consumer in self._consumers:
            consumer.name = "segment-upload"
            consumer.start()

    def _on_accepted(self, count):
        with self._lock:
            self.accepted += count
            self._failures_in_a_row = 0
        self._room.release(count)

    def _on_error(self, error, batch):
        reason = reason_for(error)
        log.error(
            "segment batch failed",
            extra={
                "fields": {
                    "status": getattr(error, "status", None),
                    "reason": reason.slug,
                    "messages": len(batch),
                }
            },
        )
        with self._lock:
            self.failed[reason] += len(batch)
            self._failures_in_a_row += 1
            fatal = reason is WRITE_KEY_REJECTED
            if fatal or self._failures_in_a_row >= FAILED_BATCHES_BEFORE_STOP:
                self.stop_reason = self.stop_reason or reason
        self._room.release(len(batch))

    @property
    def stopped(self):
        """True once Segment has failed so consistently that sending should stop."""
        return self.stop_reason is not None

    def send(self, message):
        """Queue one message, waiting while the queue is full. False once stopped."""
        while not self._room.acquire(timeout=0.5):
            if self.stopped or not self._uploading():
                return False
        if self.stopped:
            self._room.release()
            return False
        self._queue.put(message)
        self.enqueued += 1
        return True

    def _uploading(self):
        return any(consumer.is_alive() for consumer in self._consumers)

    def _discard_queued(self):
        discarded = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()
            discarded += 1
        if discarded:
            with self._lock:
                self.failed[NOT_SENT] += discarded
            self._room.release(discarded)

    def close(self):
        """Wait until every queued message is accepted or failed; stop the threads."""
        pending = self._queue
        while True:
            with pending.all_tasks_done:
                if not pending.unfinished_tasks:
                    break
                pending.all_tasks_done.wait(0.2)
            if self.stopped:
                self._discard_queued()
            if not self._uploading():
                break

        for consumer in self._consumers:
            consumer.pause()
        deadline = time.monotonic() + 30
        for consumer in self._consumers:
            consumer.join(max(0.1, deadline - time.monotonic()))

        with self._lock:
            unaccounted = self.enqueued - self.accepted - sum(self.failed.values())
            if unaccounted > 0:
                self.failed[LOST] += unaccounted
