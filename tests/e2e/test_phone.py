"""Every page fits a phone-sized screen (no sideways scrolling) and the account page shows tokens and quota."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
# Controls without a name a screen reader can announce, and the number of h1 headings.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select, button')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
    .map(el => el.outerHTML)"""
H1S = "() => document.querySelectorAll('h1').length"


def check_page(page, path: str) -> None:
    assert page.evaluate(FITS), f"{path} scrolls sideways on a phone"
    assert page.evaluate(UNLABELLED) == [], f"{path} has controls without a label"
    assert page.evaluate(H1S) == 1, f"{path} should have one h1"


def test_pages_fit_a_phone_screen_and_the_account_page_makes_a_token(page, live_server, make_user, log_in,
                                                                     screenshot):
    page.set_viewport_size({"width": 375, "height": 740})
    for path in ("/", "/verify", "/accounts/login/", "/accounts/signup/"):
        page.goto(f"{live_server.url}{path}")
        check_page(page, path)
        if path == "/":
            screenshot("home")

    log_in(make_user("admin", "ada"))
    page.get_by_role("button", name="Create a token").click()
    token = page.locator("code.token")
    expect(token).to_be_visible()
    assert len(token.inner_text()) >= 32
    expect(page.locator("#quota-h + p")).to_contain_text("of")
    screenshot("account")
    for path in ("/accounts/", "/studio/jobs/", "/review/", "/review/history/", "/review/dashboard/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        check_page(page, path)
    screenshot("dashboard")
    page.goto(f"{live_server.url}/studio/jobs/")
    screenshot("studio")


def test_roles_see_only_their_pages(page, live_server, make_user, log_in):
    log_in(make_user("creator", "cleo"))
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Studio", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Review", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)
    assert page.goto(f"{live_server.url}/review/").status == 403
    assert page.goto(f"{live_server.url}/review/dashboard/").status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("your role does not allow this")).to_be_visible()
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
