import pytest
from django.utils import timezone
from knox.models import AuthToken

pytestmark = pytest.mark.django_db


def test_token_login_gives_an_expiring_hashed_token(api_client, creator):
    response = api_client.post("/api/v1/auth/token", {"username": "creator-a", "password": "correct horse battery"},
                               format="json")
    assert response.status_code == 201
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=creator)
    assert stored.expiry > timezone.now()
    assert token not in stored.digest and stored.digest != token  # only a digest is stored
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me").json()
    assert (me["username"], me["role"], me["suspended"]) == ("creator-a", "creator", False)


def test_wrong_password_is_401_with_the_error_body(api_client, creator):
    response = api_client.post("/api/v1/auth/token", {"username": "creator-a", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "wrong username or password"


def test_expired_token_is_refused(api_client, creator):
    instance, token = AuthToken.objects.create(user=creator)
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timezone.timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me").status_code == 401


def test_revoke_token(client_for, creator):
    client = client_for(creator)
    assert client.post("/api/v1/auth/token/revoke").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
