"""The Segment side of the hub: one module per call type, sharing one pipeline."""

from actions.segment_group import SegmentGroup
from actions.segment_identify import SegmentIdentify
from actions.segment_track import SegmentTrack


def all_actions(settings):
    """Every action this hub offers, in the order Looker lists them."""
    return [SegmentIdentify(settings), SegmentTrack(settings), SegmentGroup(settings)]
