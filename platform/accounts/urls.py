from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.ClearframeLoginView.as_view(), name="login"),
    path("logout/", views.ClearframeLogoutView.as_view(), name="logout"),
    path("", views.account, name="account"),
    path("tokens/", views.token_create, name="token-create"),
    path("tokens/<str:token_key>/revoke/", views.token_revoke, name="token-revoke"),
]
