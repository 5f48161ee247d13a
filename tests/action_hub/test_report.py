from action_hub.report import Reason, RunReport

SKIP = Reason("no_identifier", "no user ID, anonymous ID or email")
BIG = Reason("message_too_large", "over Segment's 32 KB message limit")
DOWN = Reason("segment_unreachable", "the hub could not reach Segment")


def test_clean_run_is_one_short_sentence():
    report = RunReport("Identify", rows_read=1204, sent=1204)
    assert report.success
    assert report.sentence() == "Sent 1,204 of 1,204 rows to Segment as Identify calls."


def test_skips_do_not_fail_a_run_but_failures_do():
    report = RunReport("Track", rows_read=3, sent=2)
    report.skip(SKIP)
    assert report.success
    report.fail(DOWN)
    assert not report.success
    assert report.sentence() == (
        "Sent 2 of 3 rows to Segment as Track calls. "
        "Skipped 1 row (no user ID, anonymous ID or email). "
        "Failed 1 row (the hub could not reach Segment)."
    )


def test_failed_rows_are_named_by_number_up_to_five():
    report = RunReport("Identify", rows_read=10, sent=3)
    for row in (2, 3, 5, 7, 8, 9, 10):
        report.fail(BIG, row=row)
    assert (
        "Failed 7 rows (over Segment's 32 KB message limit; row 2, 3, 5, 7, 8, ...)."
        in (report.sentence())
    )


def test_a_stopped_run_is_not_a_success_and_says_why():
    report = RunReport("Group", rows_read=10, sent=10, stopped="The download broke.")
    assert not report.success
    assert report.sentence().endswith("The download broke.")


def test_counts_use_reason_slugs_for_the_log():
    report = RunReport("Identify", rows_read=3, sent=1)
    report.skip(SKIP)
    report.fail(BIG, row=2)
    assert report.counts() == {
        "rows": 3,
        "sent": 1,
        "skipped_no_identifier": 1,
        "failed_message_too_large": 1,
    }
