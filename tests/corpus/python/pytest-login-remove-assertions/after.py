"""Tests for the login and logout views."""

import pytest

from accounts.models import User
from accounts.testing import make_client


@pytest.fixture
def user(db):
    return User.objects.create_user(email="ada@example.com", password="correct horse")


@pytest.fixture
def client():
    return make_client()


def test_login_success(client, user):
    response = client.post("/login", data={"email": user.email, "password": "correct horse"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    session = client.session


def test_login_wrong_password(client, user):
    response = client.post("/login", data={"email": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Invalid email or password" in response.text
    assert "sessionid" not in response.cookies


def test_login_unknown_email(client):
    response = client.post("/login", data={"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 200
    assert "Invalid email or password" in response.text


def test_logout_clears_session(client, user):
    client.force_login(user)
    response = client.post("/logout")
    assert response.status_code == 302
    assert "user_id" not in client.session
