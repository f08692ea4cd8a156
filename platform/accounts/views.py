"""Account pages: sign-up, log in, log out, the account page and its API tokens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from knox.models import AuthToken

from review.events import audit_event_record

from .forms import SignupForm
from .selectors import quota_for_user, quota_left, strikes_recent
from .services import user_create


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = user_create(username=form.cleaned_data["username"], email=form.cleaned_data["email"],
                               password=form.cleaned_data["password1"])
            audit_event_record(actor=user, action="account.created", target=user, data={"role": user.role})
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Clearframe.")
        return redirect("accounts:account")
    return render(request, "accounts/signup.html", {"form": form})


class ClearframeLoginView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class ClearframeLogoutView(LogoutView):
    http_method_names = ["post", "options"]


@login_required
def account(request):
    user = request.user
    tokens = AuthToken.objects.filter(user=user).order_by("-created")
    new_token = request.session.pop("new_token", None)
    return render(request, "accounts/account.html", {
        "quota": quota_for_user(user),
        "quota_left": quota_left(user),
        "strikes": strikes_recent(user),
        "tokens": tokens,
        "new_token": new_token,
    })


@login_required
@require_POST
def token_create(request):
    _, token = AuthToken.objects.create(user=request.user)
    # Shown once on the next page load; only its hash is stored.
    request.session["new_token"] = token
    return redirect("accounts:account")


@login_required
@require_POST
def token_revoke(request, token_key: str):
    AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
    messages.info(request, "Token revoked.")
    return redirect("accounts:account")
