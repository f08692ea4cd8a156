import pytest
from knox.models import AuthToken

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_signup_login_logout(client):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    response = client.post("/accounts/signup/", {"username": "newcomer", "email": "n@example.test",
                                                 "password1": "a long enough passphrase", "password2":
                                                 "a long enough passphrase"})
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.role == "creator" and not user.is_staff
    assert client.get("/accounts/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # logging out is a POST (CSRF-protected)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/").status_code == 302
    response = client.post("/accounts/login/", {"username": "newcomer", "password": "a long enough passphrase"})
    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 200


def test_signup_refuses_weak_password_with_a_message(client):
    response = client.post("/accounts/signup/", {"username": "weak", "email": "", "password1": "1234",
                                                 "password2": "1234"})
    assert response.status_code == 200
    assert b"too short" in response.content
    assert not User.objects.filter(username="weak").exists()


def test_account_page_shows_role_quota_and_a_token_once(client, creator):
    client.force_login(creator)
    page = client.get("/accounts/")
    assert b"Creator" in page.content and b"Jobs left today" in page.content
    client.post("/accounts/tokens/")
    first = client.get("/accounts/").content.decode()
    token = AuthToken.objects.get(user=creator)
    assert "Copy it now" in first
    assert "Copy it now" not in client.get("/accounts/").content.decode()
    client.post(f"/accounts/tokens/{token.token_key}/revoke/")
    assert not AuthToken.objects.filter(user=creator).exists()
