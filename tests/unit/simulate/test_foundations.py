"""The simulator's foundations: private random streams, ids derived from keys, signing, time formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from square.utils.webhooks_helper import verify_signature

from core.simulate import sign
from core.simulate.clock import at_local, cp_local, cp_utc, sq_time
from core.simulate.ids import Ids, derive, poisson
from core.simulate.knobs import Effect, Knob, Knobs

SQUARE_FIXTURES = Path(__file__).parents[2] / "fixtures" / "square"


def test_a_named_stream_does_not_depend_on_what_was_drawn_elsewhere() -> None:
    first = derive(7, "trade", "S1", "2026-03-04").random()
    derive(7, "trade", "S2", "2026-03-04").random()  # another part of the world draws in between
    assert derive(7, "trade", "S1", "2026-03-04").random() == first
    assert derive(8, "trade", "S1", "2026-03-04").random() != first


def test_ids_are_a_function_of_seed_kind_and_key() -> None:
    ids = Ids(7)
    assert ids.mixed("payment", "S1/x") == Ids(7).mixed("payment", "S1/x")
    assert ids.mixed("payment", "S1/x") != ids.mixed("order", "S1/x")
    assert ids.mixed("payment", "S1/x") != Ids(8).mixed("payment", "S1/x")
    assert len(ids.hex32("doc", "k")) == 32
    assert int(ids.hex32("doc", "k"), 16) >= 0
    assert len(str(ids.number("doc", "k", 12))) == 12
    assert ids.uuid("event", "k")[14] == "4"  # a version-4 UUID


@given(st.floats(min_value=0.5, max_value=40))
def test_poisson_draws_average_close_to_their_mean(mean: float) -> None:
    rng = derive(1, "poisson", mean)
    draws = [poisson(rng, mean) for _ in range(400)]
    assert abs(sum(draws) / len(draws) - mean) < 4 * (mean / 400) ** 0.5 + 0.05


def test_a_signed_body_passes_squares_own_verifier() -> None:
    body, key, url = '{"type":"payment.created"}', "sig-key", "https://canary.example.com/webhooks/square?m=1"
    assert verify_signature(
        request_body=body, signature_header=sign(body, key, url), signature_key=key, notification_url=url
    )
    assert not verify_signature(
        request_body=body + " ",
        signature_header=sign(body, key, url),
        signature_key=key,
        notification_url=url,
    )


def test_signing_reproduces_squares_official_test_vector() -> None:
    body = (SQUARE_FIXTURES / "webhooks.test_notification.raw-body.json").read_text()
    url = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
    assert sign(body, "Ibxx_5AKakO-3qeNVR61Dw", url) == "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="


def test_store_wall_clock_is_converted_to_utc_and_back_for_each_vendor_format() -> None:
    noon = at_local(date(2026, 3, 10), 12, 30, 5, "America/Chicago", 250_000)
    assert noon == datetime(2026, 3, 10, 17, 30, 5, 250_000, tzinfo=UTC)  # CDT began on 8 March
    assert sq_time(noon) == "2026-03-10T17:30:05.250Z"
    assert cp_utc(noon) == "2026-03-10T17:30:05.2500000"
    assert cp_local(noon, "America/Chicago") == "2026-03-10T12:30:05.2500000"


def test_a_ramped_knob_grows_linearly_then_holds_and_ends_with_its_window() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    knobs = Knobs(
        [Knob("S1", "S1-R1", start, datetime(2026, 4, 1, tzinfo=UTC), Effect(refund_mult=10.0), ramp_days=10)]
    )
    assert knobs.at("S1", "S1-R1", start).refund_mult == 1.0
    assert knobs.at("S1", "S1-R1", datetime(2026, 3, 6, tzinfo=UTC)).refund_mult == 5.5
    assert knobs.at("S1", "S1-R1", datetime(2026, 3, 20, tzinfo=UTC)).refund_mult == 10.0
    assert knobs.at("S1", "S1-R2", datetime(2026, 3, 20, tzinfo=UTC)).refund_mult == 1.0
    assert knobs.at("S1", "S1-R1", datetime(2026, 4, 2, tzinfo=UTC)).refund_mult == 1.0
