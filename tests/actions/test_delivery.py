import json
import threading
import time

import pytest
from segment.analytics import request as segment_request

from actions.delivery import NOT_SENT, WRITE_KEY_REJECTED, SegmentDelivery
from actions.segment_identify import SegmentIdentify
from tests.actions.call_plans import field, make_plan, row, settings
from tools.segment_sink import Fault

FIELDS = [
    field("users.id", "Users ID", "ID", tags=["user_id"]),
    field("users.bio", "Users Bio", "Bio"),
]
WRITE_KEY = "delivery-test-key"


def messages(count, bio="b" * 1000):
    action = SegmentIdentify(settings())
    plan = make_plan(action, FIELDS, {})
    return [
        action.map_row(plan, n, row({"users.id": f"u{n}", "users.bio": bio}))
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    "bio",
    ["a", "a" * 32_000, "é" * 10_000, "\u2028" * 600, '"' * 1_000, "\x01\U0001f600"],
)
def test_message_size_is_exactly_its_serialized_size(bio):
    (message,) = messages(1, bio)
    assert message.text == json.dumps(message)
    assert message.size == len(json.dumps(message).encode("utf-8"))


def test_library_writes_a_batch_from_the_messages_own_text():
    batch = messages(3, bio='ünïcode \u2028 "quoted" 1.5')
    body = {"batch": batch, "sentAt": "2024-05-01T10:00:00", "writeKey": "k"}
    posted = json.dumps(body, cls=segment_request.DatetimeSerializer)
    assert posted == json.dumps(body)
    # A dict the encoder could not serialize proves the text is what is used.
    batch[0]["traits"]["unserializable"] = {1, 2}
    posted = json.dumps(body, cls=segment_request.DatetimeSerializer)
    assert json.loads(posted)["batch"][0] == json.loads(batch[0].text)


def test_library_encodes_anything_else_as_before():
    body = {"sentAt": "now", "batch": [{"type": "identify", "userId": "u1"}]}
    encoded = json.dumps(body, cls=segment_request.DatetimeSerializer)
    assert encoded == json.dumps(body)


def test_every_message_arrives_once_in_full_batches(sink):
    sent = messages(3_000)
    delivery = SegmentDelivery(WRITE_KEY, sink.url, threads=3)
    assert all(delivery.send(message) for message in sent)
    delivery.close()
    assert delivery.accepted == 3_000
    assert not delivery.failed
    assert sink.message_ids == {message["messageId"] for message in sent}
    assert sink.message_count == 3_000
    # About 3.2 MB of messages: seven batches of up to 475 KB, and one more
    # per upload thread at most, when the last batches close on time.
    assert max(sink.batch_bytes) <= 475_000 + 200
    assert sink.requests <= 10


def test_send_waits_while_segment_holds_what_is_in_flight(sink):
    sink.fail_next(Fault(delay=3.0))
    sent = messages(3_000)
    delivery = SegmentDelivery(WRITE_KEY, sink.url, threads=1)
    sender = threading.Thread(target=lambda: [delivery.send(m) for m in sent])
    sender.start()
    sender.join(1.0)
    assert sender.is_alive(), "send() should wait for Segment to take a batch"
    assert sink.message_count == 0
    sender.join(30)
    delivery.close()
    assert not sender.is_alive()
    assert delivery.accepted == 3_000
    assert sink.message_count == 3_000


def test_a_rejected_write_key_counts_every_message_taken(sink):
    sink.rejected_write_keys.add(WRITE_KEY)
    delivery = SegmentDelivery(WRITE_KEY, sink.url, threads=2)
    taken = 0
    for message in messages(2_000):
        if not delivery.send(message):
            break
        taken += 1
    delivery.close()
    assert delivery.stop_reason is WRITE_KEY_REJECTED
    assert delivery.accepted == 0
    assert sum(delivery.failed.values()) == taken
    assert delivery.failed[WRITE_KEY_REJECTED] > 0
    assert set(delivery.failed) <= {WRITE_KEY_REJECTED, NOT_SENT}


def test_close_sends_the_last_batch_and_stops_the_threads_without_waiting(sink):
    # Each thread waits up to upload_interval for a batch to fill; closing must
    # neither wait that out for the last, partial batch nor thread by thread.
    delivery = SegmentDelivery(WRITE_KEY, sink.url, threads=6, upload_interval=2.0)
    for message in messages(10):
        delivery.send(message)
    started = time.monotonic()
    delivery.close()
    assert time.monotonic() - started < 1.5
    assert delivery.accepted == 10
    assert not any(consumer.is_alive() for consumer in delivery._consumers)


def test_retry_after_holds_every_upload_thread(sink):
    # One batch; the thread it is refused to puts it back, and with four
    # threads another would send it at once if only the first one waited.
    sink.fail_next(Fault(status=429, headers={"Retry-After": "2"}))
    delivery = SegmentDelivery(WRITE_KEY, sink.url, threads=4)
    for message in messages(300):
        delivery.send(message)
    closing = threading.Thread(target=delivery.close)
    closing.start()
    closing.join(1.0)
    assert sink.attempts == 1
    assert sink.message_count == 0
    closing.join(30)
    assert not closing.is_alive()
    assert delivery.accepted == 300
    assert sink.attempts == 2


def test_a_stopped_delivery_sends_no_more_batches(sink):
    sink.fault_every = Fault(status=500)
    delivery = SegmentDelivery(WRITE_KEY, sink.url, threads=1, max_retries=1)
    taken = sum(1 for message in messages(3_000) if delivery.send(message))
    delivery.close()
    assert delivery.stop_reason is not None
    # Three batches failed, each tried twice; the batches queued behind them
    # are counted as not sent, never tried.
    assert sink.attempts == 6
    assert delivery.accepted == 0
    assert sum(delivery.failed.values()) == taken
    assert delivery.failed[NOT_SENT] > 0
