"""A claim that could not be checked, in the app's report view (AppTest)."""

from chains.models import ClaimCheck, Verdict
from tests.test_app import (
    app_env,  # noqa: F401 - a fixture, used by name
    by_label,
    claim_options,
    everything,
    new_app,
    reading_view,
    sample_report,
    show_report,
    warnings,
)

REASON = (
    "Could not be checked: the model's answer was malformed twice (label: Input should be "
    "'SUPPORTS', 'CONTRADICTS' or 'NEUTRAL'). Check it by hand, or run the check again."
)


def report_with_a_claim_not_checked():
    report = sample_report()
    ferry = report.claims[2]
    report.claims[2] = ClaimCheck(
        **ferry.model_dump(include={"id", "text", "quote", "start", "end"}),
        verdict=Verdict.NOT_CHECKED,
        reason=REASON,
    )
    return report


def test_a_claim_not_checked_is_labelled_in_place_and_explained(app_env):  # noqa: F811
    at = show_report(new_app(), report_with_a_claim_not_checked())
    assert not at.exception
    assert any("1 claim(s) could not be checked" in w for w in warnings(at))
    view = reading_view(at)
    assert 'data-verdict="NOT_CHECKED"' in view and "[Could not be checked]" in view
    assert "1 could not be checked" in everything(at)  # the summary badge
    assert "3. Could not be checked \u2014 The ferry carried 400,000 riders." in claim_options(at)
    by_label(at.selectbox, "Claim").set_value("c3").run()
    assert not at.exception
    assert REASON in warnings(at)  # the reason, as a warning beside the claim
    # The other claims stand, with their verdicts.
    assert 'data-verdict="CONTRADICTED"' in reading_view(at)
    assert 'data-verdict="NOT_IN_ARCHIVE"' in reading_view(at)
