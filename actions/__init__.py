"""The Segment side of the hub: one module per call type, sharing one pipeline."""

from actions.segment_identify import SegmentIdentify


def all_actions(settings):
    """Every action this hub offers, in the order Looker lists them."""
    return [SegmentIdentify(settings)]
