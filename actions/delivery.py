"""Delivering one run's messages through segment-analytics-python, with exact counts.

The library's Client drops messages when its queue is full and reports failed
batches only through a callback. Here each run gets its own queue, and waits
while a few batches' worth of messages are queued or uploading (back
pressure). The library's Consumer threads drain the queue (batching, gzip,
posting, retries), and every batch is counted: accepted on success, failed
with a reason through `on_error`. Nothing is left uncounted.
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
# The run hands messages to the upload threads in runs of up to this many
# messages or bytes: handed over one at a time, nearly every message woke a
# waiting upload thread.
HANDOFF_MESSAGES = 100
HANDOFF_BYTES = 64 * 1024
# A run may have one batch per upload thread plus this many more queued or
# uploading; send() waits while that much is in flight.
BATCHES_AHEAD = 2
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
    "rate_limited",
    "Segment kept asking the hub to slow down (HTTP 429 or Retry-After) "
    "for longer than the hub waits",
)
BATCH_TOO_LARGE = Reason(
    "batch_too_large", "Segment refused a batch as too large (HTTP 413)"
)
NOT_SENT = Reason("not_sent", "not sent because delivery had stopped")
LOST = Reason("upload_stopped", "the upload threads stopped before sending them")


class Message(dict):
    """A message with its JSON text, serialized once when it is built.

    `size` is the text's length in bytes: json.dumps escapes every non-ASCII
    character, so the text is ASCII.
    """

    __slots__ = ("text", "size")

    def __init__(self, fields, text):
        super().__init__(fields)
        self.text = text
        self.size = len(text)


class _BatchEncoder(segment_request.DatetimeSerializer):
    """The library's JSON encoder, writing a batch of Messages from their text.

    The library serializes each batch it posts, and every message in it was
    already serialized once when built (for its ID and size); doing it again
    took a tenth of the worker's CPU. The JSON written is the same, byte for
    byte. Anything other than a batch of Messages is encoded as the library would.
    """

    def encode(self, o):
        if not self._is_batch_of_messages(o):
            return super().encode(o)
        rest = super().encode({key: o[key] for key in o if key != "batch"})
        texts = ", ".join(message.text for message in o["batch"])
        closing = "}" if rest == "{}" else ", " + rest[1:]
        return '{"batch": [' + texts + "]" + closing

    def _is_batch_of_messages(self, o):
        plain = (
            self.indent is None
            and self.item_separator == ", "
            and self.key_separator == ": "
            and self.ensure_ascii
            and self.allow_nan
            and not self.sort_keys
        )
        if not plain or type(o) is not dict or next(iter(o), None) != "batch":
            return False
        batch = o["batch"]
        return type(batch) is list and all(type(m) is Message for m in batch)


segment_request.DatetimeSerializer = _BatchEncoder


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


class _MessageQueue(queue.Queue):
    """The queue between a run and its upload threads, moving runs of messages.

    A queue.Queue (the library's Consumer re-queues rate-limited batches with
    put() and marks each message with task_done()) that also takes many
    messages under one lock, and fills one batch at a time: while one upload
    thread fills its batch the others upload theirs, so batches leave full.
    It has no size limit of its own; SegmentDelivery bounds what is in it.
    """

    def __init__(self):
        super().__init__()
        self._filling = threading.Lock()
        self._finished = False
        self._stopping = False
        self._held_until = 0.0

    def put_many(self, messages):
        with self.mutex:
            self.queue.extend(messages)
            self.unfinished_tasks += len(messages)
            self.not_empty.notify()

    def finish(self):
        """Say the run has put its last message: a batch being filled leaves now."""
        with self.mutex:
            self._finished = True
            self.not_empty.notify_all()

    def stop_waiting(self):
        """Hand out nothing more, and make every waiting upload thread return."""
        with self.mutex:
            self._stopping = True
            self.not_empty.notify_all()

    def hold_until(self, deadline):
        """Hand out no batch before `deadline` (time.monotonic()).

        Segment's Retry-After reaches only the upload thread it answered; the
        others would send at once. Holding the queue makes them all wait.
        """
        with self.mutex:
            self._held_until = max(self._held_until, deadline)

    def take_batch(self, max_messages, max_bytes, wait):
        """Messages for one batch, arriving within `wait` seconds, within the limits.

        `max_bytes` bounds the batch's JSON array of messages.
        """
        if not self._filling.acquire(timeout=wait):
            return []
        try:
            with self.not_empty:
                held = self._held_until - time.monotonic()
                if self._stopping or held > 0:
                    if not self._stopping:
                        self.not_empty.wait(min(held, wait))
                    return []
            return self._fill(max_messages, max_bytes, time.monotonic() + wait)
        finally:
            self._filling.release()

    def _fill(self, max_messages, max_bytes, deadline):
        batch = []
        size = 0
        pending = self.queue
        with self.not_empty:
            while len(batch) < max_messages:
                if self._held_until > time.monotonic():
                    # Held while filling: give the messages back and wait.
                    pending.extendleft(reversed(batch))
                    return []
                if not pending:
                    if self._stopping or (batch and self._finished):
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self.not_empty.wait(remaining)
                    continue
                message = pending[0]
                # Each message after the first also takes a ", " in the batch.
                if batch and size + 2 + message.size > max_bytes:
                    break
                pending.popleft()
                batch.append(message)
                size += message.size + 2
        return batch


class _CountingConsumer(Consumer):
    """The library's consumer, reporting each accepted batch.

    Batching reads each Message's size instead of serializing it again: that
    second serialization cost as much CPU as building the message.
    """

    def __init__(self, *args, on_accepted, **kwargs):
        super().__init__(*args, **kwargs)
        self._on_accepted = on_accepted

    def next(self):
        """Up to upload_size messages, within BATCH_SIZE_LIMIT bytes."""
        return self.queue.take_batch(
            self.upload_size, BATCH_SIZE_LIMIT, self.upload_interval
        )

    def set_rate_limit_state(self, retry_after):
        super().set_rate_limit_state(retry_after)
        if self.rate_limited_until is not None:
            self.queue.hold_until(self.rate_limited_until)

    def request(self, batch):
        response = super().request(batch)
        self._on_accepted(batch)
        return response


def _bytes_of(messages):
    return sum(message.size for message in messages)


class SegmentDelivery:
    """A run's connection to Segment: send() waits when Segment falls behind.

    Messages are handed to the upload threads in runs (HANDOFF_MESSAGES), and
    at most a few batches' worth of bytes are queued or uploading at once.
    Every message given to send() ends up counted: accepted, or failed with a
    reason.
    """

    def __init__(
        self,
        write_key,
        host,
        *,
        threads=4,
        timeout=15.0,
        max_retries=6,
        upload_interval=0.1,
    ):
        threads = max(1, threads)
        self._queue = _MessageQueue()
        self._lock = threading.Lock()
        self._room_freed = threading.Condition(self._lock)
        self._max_in_flight = (threads + BATCHES_AHEAD) * BATCH_SIZE_LIMIT
        self._in_flight = 0
        self._pending = []
        self._pending_bytes = 0
        self.taken = 0
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

    def _on_accepted(self, batch):
        size = _bytes_of(batch)
        with self._lock:
            self.accepted += len(batch)
            self._failures_in_a_row = 0
            self._free(size)

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
        size = _bytes_of(batch)
        with self._lock:
            self.failed[reason] += len(batch)
            self._failures_in_a_row += 1
            fatal = reason is WRITE_KEY_REJECTED
            stopping = self.stop_reason is None and (
                fatal or self._failures_in_a_row >= FAILED_BATCHES_BEFORE_STOP
            )
            if stopping:
                self.stop_reason = reason
            self._free(size)
        if stopping:
            self._stop_uploading()

    def _stop_uploading(self):
        """Stop every upload thread: no new batch, and no retry after the next wait.

        A batch cut short in its retries goes back to the queue, and close()
        counts what is left there as not sent.
        """
        for consumer in self._consumers:
            consumer.pause()
        self._queue.stop_waiting()

    def _free(self, size):
        """Give back room for `size` bytes; call with the lock held."""
        self._in_flight -= size
        self._room_freed.notify_all()

    @property
    def stopped(self):
        """True once Segment has failed so consistently that sending should stop."""
        return self.stop_reason is not None

    def send(self, message):
        """Take one message, waiting while too much is in flight. False once stopped.

        A message refused (False) is not counted here: the caller counts it.
        """
        full = (
            len(self._pending) >= HANDOFF_MESSAGES
            or self._pending_bytes >= HANDOFF_BYTES
        )
        if full and not self._hand_off():
            return False
        if self.stopped:
            return False
        self._pending.append(message)
        self._pending_bytes += message.size
        self.taken += 1
        return True

    def _hand_off(self):
        """Queue the pending messages once there is room; False if stopped instead."""
        messages, size = self._pending, self._pending_bytes
        self._pending, self._pending_bytes = [], 0
        if not messages:
            return not self.stopped
        with self._room_freed:
            while (
                self._in_flight
                and self._in_flight + size > self._max_in_flight
                and not self.stopped
                and self._uploading()
            ):
                self._room_freed.wait(0.5)
            queued = not self.stopped and self._uploading()
            if queued:
                self._in_flight += size
            else:
                self.failed[NOT_SENT] += len(messages)
        if queued:
            self._queue.put_many(messages)
        return queued

    def _uploading(self):
        return any(consumer.is_alive() for consumer in self._consumers)

    def _discard_queued(self, reason=NOT_SENT):
        discarded = []
        while True:
            try:
                discarded.append(self._queue.get_nowait())
            except queue.Empty:
                break
            self._queue.task_done()
        if discarded:
            size = _bytes_of(discarded)
            with self._lock:
                self.failed[reason] += len(discarded)
                self._free(size)

    def close(self):
        """Wait until every message taken is accepted or failed; stop the threads."""
        self._hand_off()
        pending = self._queue
        pending.finish()
        while True:
            with pending.all_tasks_done:
                if not pending.unfinished_tasks:
                    break
                pending.all_tasks_done.wait(0.2)
            if self.stopped:
                self._discard_queued()
            if not self._uploading():
                break

        self._stop_uploading()
        deadline = time.monotonic() + 30
        for consumer in self._consumers:
            consumer.join(max(0.1, deadline - time.monotonic()))
        # What a stopping thread put back, if anything, is still queued.
        self._discard_queued(NOT_SENT if self.stopped else LOST)

        with self._lock:
            unaccounted = self.taken - self.accepted - sum(self.failed.values())
            if unaccounted > 0:
                self.failed[LOST] += unaccounted
