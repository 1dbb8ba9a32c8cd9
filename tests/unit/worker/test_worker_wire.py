import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocalc_compute_wasm.kernel.events import (
    ClearOutput,
    ExecuteReply,
    InputRequest,
    Output,
    UpdateDisplay,
)
from cocalc_compute_wasm.kernel.wire import WireError, event_from_wire, event_to_wire
from cocalc_compute_wasm.worker.pipe_frames import (
    HEADER,
    MAX_FRAME,
    FrameError,
    decode_body,
    decode_length,
    encode,
)

EVENTS = [
    Output({"output_type": "stream", "name": "stdout", "text": "hi\n"}),
    Output({"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}}, "d1"),
    UpdateDisplay("d1", {"output_type": "display_data", "data": {}, "metadata": {}}),
    ClearOutput(wait=True),
    InputRequest("name? ", password=False),
    ExecuteReply("error", 3),
]


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_crosses_a_pipe_unchanged(event):
    frame = encode(event_to_wire(event))
    length = decode_length(frame[: HEADER.size])
    assert length == len(frame) - HEADER.size
    assert event_from_wire(decode_body(frame[HEADER.size :])) == event


@pytest.mark.parametrize(
    "data", [{}, {"event": "launch"}, {"event": "output"}, {"event": "clear_output"}]
)
def test_malformed_events_are_refused_clearly(data):
    with pytest.raises(WireError):
        event_from_wire(data)


def test_frames_are_bounded_and_must_be_maps():
    with pytest.raises(FrameError, match="over the"):
        decode_length(HEADER.pack(MAX_FRAME + 1))
    with pytest.raises(FrameError, match="must be a map"):
        decode_body(b"\x91\x01")  # the list [1]


@given(
    st.dictionaries(
        st.text(max_size=5), st.text(max_size=20) | st.integers(-(2**63), 2**63 - 1), max_size=5
    )
)
def test_any_map_round_trips(message):
    frame = encode(message)
    assert decode_body(frame[HEADER.size :]) == message
